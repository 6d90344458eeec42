package provider

import (
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/verify"
)

// resultAttrTypes are the attribute types of one results row, as the
// schema's resultAttributes declare them.
var resultAttrTypes = map[string]attr.Type{
	"name":           types.StringType,
	"protocol":       types.StringType,
	"transport":      types.StringType,
	"port":           types.StringType,
	"address":        types.StringType,
	"vantage":        types.StringType,
	"status":         types.StringType,
	"rtt_ms":         types.Float64Type,
	"attempts":       types.Int64Type,
	"mapped_address": types.StringType,
	"detail":         types.StringType,
}

var resultObjectType = types.ObjectType{AttrTypes: resultAttrTypes}

// resultsValue encodes the report's rows as the results attribute, without
// the framework's reflection (see checkFromValue).
func resultsValue(results []verify.CheckResult) types.List {
	rows := make([]attr.Value, 0, len(results))
	for _, r := range results {
		rtt := types.Float64Null()
		if r.RTT > 0 {
			rtt = types.Float64Value(float64(r.RTT) / float64(time.Millisecond))
		}
		rows = append(rows, types.ObjectValueMust(resultAttrTypes, map[string]attr.Value{
			"name":           types.StringValue(r.Name),
			"protocol":       types.StringValue(r.Protocol),
			"transport":      types.StringValue(r.Transport),
			"port":           types.StringValue(r.Label),
			"address":        types.StringValue(addrString(r)),
			"vantage":        types.StringValue(r.Vantage),
			"status":         types.StringValue(r.Status.String()),
			"rtt_ms":         rtt,
			"attempts":       types.Int64Value(int64(r.Attempts)),
			"mapped_address": nullIfEmpty(r.MappedAddress),
			"detail":         nullIfEmpty(rowDetail(r)),
		}))
	}
	return types.ListValueMust(resultObjectType, rows)
}

func addrString(r verify.CheckResult) string {
	if !r.Address.IsValid() {
		return ""
	}
	return r.Address.String()
}

func nullIfEmpty(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
