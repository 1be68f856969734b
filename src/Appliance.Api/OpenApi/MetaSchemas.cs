using static Appliance.Api.OpenApi.Schema;

namespace Appliance.Api.OpenApi;

/// <summary>
/// The apimachinery meta/v1 types every kind shares (names as kube-openapi publishes them), and the
/// request/response types the operations of the documents refer to.
/// </summary>
internal static class MetaSchemas
{
    private const string Meta = "io.k8s.apimachinery.pkg.apis.meta.v1.";

    public static SchemaNode OwnerReference { get; } = Component(Meta + "OwnerReference",
        "A reference to an owning object; the owned object is garbage-collected with its owners.",
        [
            ("apiVersion", String("API version of the owner.")),
            ("blockOwnerDeletion", Boolean("If true, the owner cannot be deleted in the foreground before this reference is removed.")),
            ("controller", Boolean("If true, this reference points to the managing controller.")),
            ("kind", String("Kind of the owner.")),
            ("name", String("Name of the owner.")),
            ("uid", String("UID of the owner.")),
        ],
        required: ["apiVersion", "kind", "name", "uid"]);

    public static SchemaNode ManagedFieldsEntry { get; } = Component(Meta + "ManagedFieldsEntry",
        "The fields a workflow (field manager) manages, and when and how it last changed them.",
        [
            ("apiVersion", String("The version of the resource the fields are described in.")),
            ("fieldsType", String("The format of fieldsV1; only FieldsV1 exists.")),
            ("fieldsV1", FreeForm("The managed fields, as a set of field paths.")),
            ("manager", String("The name of the field manager.")),
            ("operation", String("Apply or Update: the kind of operation that produced this entry.")),
            ("subresource", String("The subresource used to update the object, empty for the main resource.")),
            ("time", Time("When the fields were last changed by this manager.")),
        ]);

    public static SchemaNode ObjectMeta { get; } = Component(Meta + "ObjectMeta",
        "Metadata every persisted object has: name, namespace, labels, annotations and the server's bookkeeping.",
        [
            ("annotations", StringMap("Unstructured key/value data for tools; not selectable.")),
            ("creationTimestamp", Time("When the object was created (set by the server, read-only).")),
            ("deletionGracePeriodSeconds", Int64("Seconds allowed for graceful termination before removal (read-only).")),
            ("deletionTimestamp", Time("When the object will be deleted (set by the server on a graceful delete, read-only).")),
            ("finalizers", Strings("Entries that must be removed before the object is deleted.", "set", "merge")),
            ("generateName", String("A prefix for a server-generated unique name, used when name is empty.")),
            ("generation", Int64("A sequence number of changes to the desired state (read-only).")),
            ("labels", StringMap("Key/value pairs to organize and select objects.")),
            ("managedFields", List(ManagedFieldsEntry, "Which field managers manage which fields (internal bookkeeping).")),
            ("name", String("The object's name, unique within its namespace and kind.")),
            ("namespace", String("The namespace of a namespaced object; empty for cluster-scoped kinds.")),
            ("ownerReferences", List(OwnerReference, "The objects this object depends on.", mergeKey: "uid", mapKeys: ["uid"])),
            ("resourceVersion", String("Opaque version of the object, for optimistic concurrency and watches (read-only).")),
            ("selfLink", String("Deprecated; not set.")),
            ("uid", String("Unique id of this object in time and space (set by the server, read-only).")),
        ]);

    public static SchemaNode ListMeta { get; } = Component(Meta + "ListMeta",
        "Metadata of a list: its resource version and the token to get the next page.",
        [
            ("continue", String("Set when more results are available: pass it to get the next page.")),
            ("remainingItemCount", Int64("How many items follow this page, when known.")),
            ("resourceVersion", String("The store revision the list was read at.")),
            ("selfLink", String("Deprecated; not set.")),
        ]);

    public static SchemaNode LabelSelectorRequirement { get; } = Component(Meta + "LabelSelectorRequirement",
        "A label key, an operator and values.",
        [
            ("key", String("The label key the selector applies to.")),
            ("operator", String("In, NotIn, Exists or DoesNotExist.")),
            ("values", Strings("The values for In and NotIn; empty for Exists and DoesNotExist.")),
        ],
        required: ["key", "operator"]);

    public static SchemaNode LabelSelector { get; } = Component(Meta + "LabelSelector",
        "A label query; all requirements are ANDed. Empty selects everything, null nothing.",
        [
            ("matchExpressions", List(LabelSelectorRequirement, "Label selector requirements.")),
            ("matchLabels", StringMap("Exact key/value matches.")),
        ]);

    public static SchemaNode StatusCause { get; } = Component(Meta + "StatusCause",
        "One reason of an error, usually about one field.",
        [
            ("field", String("The field the cause is about, e.g. metadata.name.")),
            ("message", String("Human-readable description of the cause.")),
            ("reason", String("Machine-readable reason.")),
        ]);

    public static SchemaNode StatusDetails { get; } = Component(Meta + "StatusDetails",
        "Extra data of a Status, about the object the error concerns.",
        [
            ("causes", List(StatusCause, "The causes of the error.")),
            ("group", String("The group of the resource.")),
            ("kind", String("The kind or resource.")),
            ("name", String("The name of the object.")),
            ("retryAfterSeconds", Int32("Seconds to wait before retrying, when the error is temporary.")),
            ("uid", String("The UID of the object.")),
        ]);

    public static SchemaNode Status { get; } = Component(Meta + "Status",
        "The result of a call that does not return an object.",
        [
            ("apiVersion", String("Status is in v1.")),
            ("code", Int32("The HTTP status code.")),
            ("details", Ref(StatusDetails, "Extended data about the error.")),
            ("kind", String("Status.")),
            ("message", String("Human-readable description.")),
            ("metadata", Ref(ListMeta, "Standard list metadata.")),
            ("reason", String("Machine-readable reason (NotFound, AlreadyExists, Conflict, Invalid, ...).")),
            ("status", String("Success or Failure.")),
        ]);

    public static SchemaNode Preconditions { get; } = Component(Meta + "Preconditions",
        "Conditions a delete must meet.",
        [
            ("resourceVersion", String("The object's expected resource version.")),
            ("uid", String("The object's expected UID.")),
        ]);

    public static SchemaNode DeleteOptions { get; } = Component(Meta + "DeleteOptions",
        "Options of a delete.",
        [
            ("apiVersion", String("The API version of this representation.")),
            ("dryRun", Strings("All: process the request without persisting it.")),
            ("gracePeriodSeconds", Int64("Seconds before the object is deleted.")),
            ("ignoreStoreReadErrorWithClusterBreakingPotential", Boolean("Delete an object that cannot be read from the store.")),
            ("kind", String("DeleteOptions.")),
            ("orphanDependents", Boolean("Deprecated: use propagationPolicy.")),
            ("preconditions", Ref(Preconditions, "Conditions the object must meet to be deleted.")),
            ("propagationPolicy", String("Orphan, Background or Foreground: what happens to dependents.")),
        ]);

    public static SchemaNode Patch { get; } = new()
    {
        Name = Meta + "Patch",
        Type = "object",
        Description = "A patch body, in the format the Content-Type names.",
    };

    /// <summary>The components every group version document has.</summary>
    public static IReadOnlyList<SchemaNode> Shared { get; } = [ObjectMeta, ListMeta, Status, DeleteOptions, Patch];
}
