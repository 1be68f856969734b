namespace Appliance.Api;

/// <summary>One term of a label or field selector; <see cref="Values"/> holds one value for (not-)equals.</summary>
public sealed record SelectorRequirement(string Key, SelectorOperator Operator, IReadOnlyList<string> Values)
{
    /// <summary>
    /// Whether a label (or field) with value <paramref name="value"/> (null: absent) satisfies the term.
    /// != and notin match an absent key, as in Kubernetes.
    /// </summary>
    public bool Matches(string? value) => Operator switch
    {
        SelectorOperator.Equals => value is not null && value == Values[0],
        SelectorOperator.NotEquals => value is null || value != Values[0],
        SelectorOperator.In => value is not null && Values.Contains(value),
        SelectorOperator.NotIn => value is null || !Values.Contains(value),
        SelectorOperator.Exists => value is not null,
        SelectorOperator.DoesNotExist => value is null,
        _ => false,
    };
}
