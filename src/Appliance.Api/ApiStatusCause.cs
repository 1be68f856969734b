namespace Appliance.Api;

/// <summary><c>meta/v1 StatusCause</c>: one field-level reason of an Invalid (422) status.</summary>
public sealed class ApiStatusCause
{
    /// <summary>FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, ...</summary>
    public string? Reason { get; init; }

    public string? Message { get; init; }

    /// <summary>The JSON path of the field, e.g. <c>metadata.name</c>.</summary>
    public string? Field { get; init; }
}
