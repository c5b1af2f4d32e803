#pragma once

/// @file
/// Component kinds: every plugin interface (Architecture, Dataset, Objective, ...) is a kind with
/// a name and a one-line doc, declared once next to the interface with GEAR_COMPONENT_KIND. The
/// registrar and the host's registry work on any declared kind through one generic path, so a
/// new kind of plugin is one SDK header (or, for a kind private to a plugin family, one header
/// anywhere) and no edit to the host.

namespace gear {

/// The name and doc of the component kind whose interface is `Interface`. Declared for each
/// interface with GEAR_COMPONENT_KIND; using an interface that has no declaration fails to
/// compile with a message naming this template.
template <typename Interface>
struct ComponentKindOf {
  static_assert(sizeof(Interface) == 0,
                "no component kind is declared for this interface: write "
                "GEAR_COMPONENT_KIND(Interface, \"name\", \"doc\") at global scope after it");
};

}  // namespace gear

/// Declares `Interface` (a class with a virtual destructor) as a component kind named
/// `kind_name` (what `gearhost list` shows and error messages say: "unknown pruner 'x'"), with a
/// one-line `kind_doc`. Write it once at global scope, right after the interface. Two kinds must
/// not share a name: the host tells kinds apart by name, since type identity does not survive
/// the boundary between separately loaded libraries.
#define GEAR_COMPONENT_KIND(Interface, kind_name, kind_doc) \
  template <>                                               \
  struct gear::ComponentKindOf<Interface> {                 \
    static constexpr const char* kName = kind_name;         \
    static constexpr const char* kDoc = kind_doc;           \
  }
