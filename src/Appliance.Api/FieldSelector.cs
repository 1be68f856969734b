using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// The <c>fieldSelector</c> query parameter with <c>=</c>, <c>==</c> and <c>!=</c>, over the fields every kind
/// supports in kube-apiserver (<c>metadata.name</c>, <c>metadata.namespace</c>) plus the kind's own
/// <see cref="ResourceDefinition.SelectableFields"/>. kubectl's <c>delete --wait</c> and <c>get NAME -w</c>
/// rely on <c>metadata.name</c>; <c>describe</c> selects events by <c>involvedObject.*</c>.
/// </summary>
public sealed class FieldSelector
{
    public static readonly FieldSelector Everything = new([]);

    private FieldSelector(IReadOnlyList<SelectorRequirement> requirements) => Requirements = requirements;

    public IReadOnlyList<SelectorRequirement> Requirements { get; }

    public static bool TryParse(string? text, out FieldSelector selector, out string? error)
        => TryParse(text, [], out selector, out error);

    public static bool TryParse(string? text, IReadOnlyList<string> kindFields, out FieldSelector selector, out string? error)
    {
        selector = Everything;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var requirements = new List<SelectorRequirement>();
        foreach (string raw in text.Split(','))
        {
            string term = raw.Trim();
            int at = term.IndexOf("!=", StringComparison.Ordinal);
            int width = 2;
            SelectorOperator op = SelectorOperator.NotEquals;
            if (at < 0)
            {
                op = SelectorOperator.Equals;
                at = term.IndexOf("==", StringComparison.Ordinal);
                if (at < 0)
                {
                    at = term.IndexOf('=', StringComparison.Ordinal);
                    width = 1;
                }
            }

            if (at <= 0)
            {
                error = $"invalid selector: '{text}'; can't understand '{term}'";
                return false;
            }

            string field = term[..at].Trim();
            if (field is not ("metadata.name" or "metadata.namespace") && !kindFields.Contains(field))
            {
                error = $"field label not supported: {field}";
                return false;
            }

            requirements.Add(new SelectorRequirement(field, op, [term[(at + width)..].Trim()]));
        }

        selector = new FieldSelector(requirements);
        return true;
    }

    public bool Matches(JsonObject obj)
    {
        foreach (SelectorRequirement requirement in Requirements)
        {
            // An absent field compares as "" (a cluster-scoped object has the empty namespace), as in
            // kube-apiserver's field sets; numbers compare by their JSON text.
            JsonNode? node = obj;
            foreach (string segment in requirement.Key.Split('.'))
            {
                node = node is JsonObject o ? o[segment] : null;
            }

            string value = node is JsonValue v
                ? v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()
                : "";
            if (!requirement.Matches(value))
            {
                return false;
            }
        }

        return true;
    }
}
