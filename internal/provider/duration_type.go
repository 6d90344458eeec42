package provider

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// durationType is timetypes.GoDurationType (Go duration strings, with
// semantic equality so "60s" and "1m" are the same) whose invalid values are
// reported with the attribute path in the message: Terraform shows only the
// enclosing block for an attribute nested in checks.
type durationType struct {
	timetypes.GoDurationType
}

var (
	_ basetypes.StringTypable                    = durationType{}
	_ basetypes.StringValuableWithSemanticEquals = durationValue{}
	_ xattr.ValidateableAttribute                = durationValue{}
)

func (t durationType) String() string { return "provider.durationType" }

func (t durationType) Equal(o attr.Type) bool {
	_, ok := o.(durationType)
	return ok
}

func (t durationType) ValueType(context.Context) attr.Value { return durationValue{} }

func (t durationType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return durationValue{GoDuration: timetypes.GoDuration{StringValue: in}}, nil
}

func (t durationType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return durationValue{GoDuration: timetypes.GoDuration{StringValue: s}}, nil
}

// durationValue is a Go duration string; ValueGoDuration parses it.
type durationValue struct {
	timetypes.GoDuration
}

func durationOf(d time.Duration) durationValue {
	return durationValue{GoDuration: timetypes.NewGoDurationValue(d)}
}

func (v durationValue) Type(context.Context) attr.Type { return durationType{} }

func (v durationValue) Equal(o attr.Value) bool {
	other, ok := o.(durationValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

func (v durationValue) StringSemanticEquals(ctx context.Context, n basetypes.StringValuable) (bool, diag.Diagnostics) {
	other, ok := n.(durationValue)
	if !ok {
		var diags diag.Diagnostics
		diags.AddError("Semantic Equality Check Error", fmt.Sprintf("Expected %T, got %T. Please report this "+
			"issue to the provider developers.", v, n))
		return false, diags
	}
	return v.GoDuration.StringSemanticEquals(ctx, other.GoDuration)
}

func (v durationValue) ValidateAttribute(_ context.Context, req xattr.ValidateAttributeRequest, resp *xattr.ValidateAttributeResponse) {
	if !v.valid() {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("Attribute %s must be a Go duration such as \"500ms\", \"2s\" or \"168h\" (a number and "+
				"one of the units ns, us, ms, s, m, h), got: %s.", req.Path, strconv.Quote(v.ValueString())))
	}
}

// valid is false for a known value that is not a Go duration.
func (v durationValue) valid() bool {
	if v.IsNull() || v.IsUnknown() {
		return true
	}
	_, err := time.ParseDuration(v.ValueString())
	return err == nil
}
