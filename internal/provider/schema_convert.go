package provider

import (
	"fmt"

	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// dataSourceAttributes converts the shared attributes, written with the
// resource schema types, to the data source's types. Descriptions, custom
// types and validators carry over; Default and plan modifiers do not exist
// for data sources (the data source applies the same defaults in Read).
func dataSourceAttributes(in map[string]rschema.Attribute) map[string]dschema.Attribute {
	out := make(map[string]dschema.Attribute, len(in))
	for name, a := range in {
		if s, ok := a.(rschema.StringAttribute); ok && s.WriteOnly {
			continue // data sources have no write-only arguments
		}
		out[name] = dataSourceAttribute(a)
	}
	return out
}

func dataSourceAttribute(a rschema.Attribute) dschema.Attribute {
	switch a := a.(type) {
	case rschema.StringAttribute:
		return dschema.StringAttribute{
			CustomType: a.CustomType, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, Description: a.Description, MarkdownDescription: a.MarkdownDescription,
			Validators: a.Validators,
		}
	case rschema.Int64Attribute:
		return dschema.Int64Attribute{
			CustomType: a.CustomType, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, Description: a.Description, MarkdownDescription: a.MarkdownDescription,
			Validators: a.Validators,
		}
	case rschema.Float64Attribute:
		return dschema.Float64Attribute{
			CustomType: a.CustomType, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, Description: a.Description, MarkdownDescription: a.MarkdownDescription,
			Validators: a.Validators,
		}
	case rschema.NumberAttribute:
		return dschema.NumberAttribute{
			CustomType: a.CustomType, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, Description: a.Description, MarkdownDescription: a.MarkdownDescription,
			Validators: a.Validators,
		}
	case rschema.BoolAttribute:
		return dschema.BoolAttribute{
			CustomType: a.CustomType, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, Description: a.Description, MarkdownDescription: a.MarkdownDescription,
			Validators: a.Validators,
		}
	case rschema.MapAttribute:
		return dschema.MapAttribute{
			ElementType: a.ElementType, CustomType: a.CustomType, Required: a.Required, Optional: a.Optional,
			Computed: a.Computed, Sensitive: a.Sensitive, Description: a.Description,
			MarkdownDescription: a.MarkdownDescription, Validators: a.Validators,
		}
	case rschema.ListAttribute:
		return dschema.ListAttribute{
			ElementType: a.ElementType, CustomType: a.CustomType, Required: a.Required, Optional: a.Optional,
			Computed: a.Computed, Sensitive: a.Sensitive, Description: a.Description,
			MarkdownDescription: a.MarkdownDescription, Validators: a.Validators,
		}
	case rschema.ListNestedAttribute:
		return dschema.ListNestedAttribute{
			NestedObject: dschema.NestedAttributeObject{Attributes: dataSourceAttributes(a.NestedObject.Attributes)},
			CustomType:   a.CustomType, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, Description: a.Description, MarkdownDescription: a.MarkdownDescription,
			Validators: a.Validators,
		}
	case rschema.SingleNestedAttribute:
		return dschema.SingleNestedAttribute{
			Attributes: dataSourceAttributes(a.Attributes),
			CustomType: a.CustomType, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, Description: a.Description, MarkdownDescription: a.MarkdownDescription,
			Validators: a.Validators,
		}
	default:
		panic(fmt.Sprintf("dataSourceAttribute: no conversion for %T", a))
	}
}
