package provider

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mediareach/terraform-provider-media/internal/check"
)

// checkIndex remembers the checks seen so far by name and by what they
// probe, so that validateChecks can compare each check with those before it:
//
//   - A name the user wrote must differ from every other check's name,
//     written or default: an error on the later check's name.
//   - Checks that probe the same thing (protocol, transport, the set of
//     ports, options), whatever their names: a warning, since the repeat
//     adds only probes and a second results row.
//   - Unnamed checks whose default names agree but which probe different
//     things: a warning. Default names hold only the protocol, transport
//     and ports, so two https checks of one port with different paths, or
//     two samples of one range, share "https/443" or "tcp/1000-1999".
//
// Checks whose name or ports are not known yet are skipped.
type checkIndex struct {
	names map[string]namedCheck // effective name -> first check with it
	specs map[string]int        // what a check probes (checkModel.identity) -> first check
}

type namedCheck struct {
	index    int
	explicit bool // the name was written, not defaulted
}

func (x *checkIndex) add(i int, c checkModel, diags *diag.Diagnostics) {
	if x.names == nil {
		x.names, x.specs = make(map[string]namedCheck), make(map[string]int)
	}
	at := path.Root("checks").AtListIndex(i)
	id, idKnown := c.identity()
	first, repeat := x.specs[id]
	repeat = repeat && idKnown
	if idKnown && !repeat {
		x.specs[id] = i
	}

	name, explicit, ok := c.effectiveName()
	if ok {
		other, taken := x.names[name]
		switch {
		case !taken:
			x.names[name] = namedCheck{index: i, explicit: explicit}
		case explicit || other.explicit:
			diags.AddAttributeError(at.AtName("name"), "Duplicate check name", duplicateNameDetail(at, name,
				explicit, other))
			return // the error says enough
		case !repeat:
			otherAt := path.Root("checks").AtListIndex(other.index)
			diags.AddAttributeWarning(at.AtName("name"), "Checks share a default name",
				fmt.Sprintf("%s and %s both have no name and default to %q, but probe different things (a default "+
					"name holds only the protocol, transport and ports). Their rows in results and messages "+
					"will look alike: set %s or %s.", otherAt, at, name, otherAt.AtName("name"), at.AtName("name")))
		}
	}
	if repeat {
		diags.AddAttributeWarning(at, "Repeated check",
			fmt.Sprintf("%s probes the same as %s: the same protocol, transport, ports and options. It adds no "+
				"coverage, only probes and a second row in results; remove it.", at, path.Root("checks").AtListIndex(first)))
	}
}

func duplicateNameDetail(at path.Path, name string, explicit bool, other namedCheck) string {
	otherAt := path.Root("checks").AtListIndex(other.index)
	const why = "Each check needs its own name: results and messages tell the checks apart by it."
	switch {
	case explicit && other.explicit:
		return fmt.Sprintf("Attribute %s is %q, which %s already is. %s Choose another name.",
			at.AtName("name"), name, otherAt.AtName("name"), why)
	case explicit:
		return fmt.Sprintf("Attribute %s is %q, which is the default name of %s (it has no name). %s Choose "+
			"another name, or set %s.", at.AtName("name"), name, otherAt, why, otherAt.AtName("name"))
	default:
		return fmt.Sprintf("Attribute %s is not set, so it defaults to %q, which %s already is. %s Set %s, or "+
			"rename %s.", at.AtName("name"), name, otherAt.AtName("name"), why, at.AtName("name"), otherAt)
	}
}

// effectiveName is the check's name, or the default name that the engine
// gives it (check.Spec.DefaultName). ok is false while it is unknown.
func (c checkModel) effectiveName() (name string, explicit, ok bool) {
	switch {
	case c.Name.IsUnknown():
		return "", false, false
	case !c.Name.IsNull():
		return c.Name.ValueString(), true, true
	case !fullyKnown(c.Protocol, c.Transport, c.Port, c.Ports, c.PortRange):
		return "", false, false
	}
	spec, err := c.spec()
	if err != nil {
		return "", false, false
	}
	return spec.DefaultName(), false, true
}

// identity describes what the check probes, names aside, with the engine's
// defaults applied: the protocol, transport and set of ports of the built
// check (so port = 443 and ports = [443] agree), and the options. ok is
// false while some attribute is unknown.
func (c checkModel) identity() (id string, ok bool) {
	if !fullyKnown(c.Protocol, c.Transport, c.Port, c.Ports, c.PortRange, c.Sample, c.Path, c.ExpectStatus, c.TLS,
		c.TURN) {
		return "", false
	}
	spec, err := c.spec()
	if err != nil {
		return "", false
	}
	chk, err := spec.Build(nil) // nil: the probe is never run
	if err != nil {
		return "", false
	}
	o := spec.Options
	if o.Path == "" {
		o.Path = "/"
	}
	if o.ExpectStatus == 0 {
		o.ExpectStatus = 200
	}
	// Never shown: it only tells checks apart, secrets included.
	return fmt.Sprintf("%s %s %s server_name=%q ca=%q min_validity=%d path=%q status=%d turn=%q %q %q %q %d %t %t",
		chk.Protocol, chk.Transport, check.CompactPorts(chk.Ports), o.ServerName, o.CACertPEM, o.MinCertValidity,
		o.Path, o.ExpectStatus, o.Username, o.Password, o.SharedSecret, o.Realm, o.CredentialTTL, o.RelayCheck,
		o.DenyPrivatePeers), true
}

// fullyKnown reports whether no value, nor any element of a list or
// attribute of an object, is unknown.
func fullyKnown(values ...attr.Value) bool {
	for _, v := range values {
		if v.IsUnknown() {
			return false
		}
		if l, ok := v.(types.List); ok && !fullyKnown(l.Elements()...) {
			return false
		}
		if o, ok := v.(types.Object); ok && !fullyKnown(slices.Collect(maps.Values(o.Attributes()))...) {
			return false
		}
	}
	return true
}
