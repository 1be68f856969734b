using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Api;

/// <summary>
/// The <c>labelSelector</c> query parameter: comma-separated requirements, all of which must hold:
/// <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c>, <c>!k</c>.
/// </summary>
public sealed class LabelSelector
{
    public static readonly LabelSelector Everything = new([]);

    private LabelSelector(IReadOnlyList<SelectorRequirement> requirements) => Requirements = requirements;

    public IReadOnlyList<SelectorRequirement> Requirements { get; }

    /// <summary>Parses a selector; on malformed input returns false with the reason in <paramref name="error"/>.</summary>
    public static bool TryParse(string? text, out LabelSelector selector, out string? error)
    {
        selector = Everything;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var requirements = new List<SelectorRequirement>();
        foreach (string term in SplitTopLevel(text))
        {
            SelectorRequirement? requirement = ParseTerm(term.Trim(), out error);
            if (requirement is null)
            {
                return false;
            }

            requirements.Add(requirement);
        }

        selector = new LabelSelector(requirements);
        return true;
    }

    public bool Matches(JsonObject obj)
    {
        if (Requirements.Count == 0)
        {
            return true;
        }

        JsonObject? labels = obj["metadata"]?["labels"] as JsonObject;
        foreach (SelectorRequirement requirement in Requirements)
        {
            string? value = null;
            if (labels?[requirement.Key] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                value = v.GetValue<string>();
            }

            if (!requirement.Matches(value))
            {
                return false;
            }
        }

        return true;
    }

    // Commas inside "(...)" separate set values, not requirements.
    private static List<string> SplitTopLevel(string text)
    {
        var terms = new List<string>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                terms.Add(text[start..i]);
                start = i + 1;
            }
        }

        terms.Add(text[start..]);
        return terms;
    }

    private static SelectorRequirement? ParseTerm(string term, out string? error)
    {
        error = null;
        if (term.Length == 0)
        {
            error = "found '', expected: identifier";
            return null;
        }

        if (term[0] == '!')
        {
            string key = term[1..].Trim();
            return IsKey(key) ? new SelectorRequirement(key, SelectorOperator.DoesNotExist, []) : Fail(term, out error);
        }

        int paren = term.IndexOf('(', StringComparison.Ordinal);
        if (paren > 0)
        {
            // "key in (a, b)" / "key notin (a, b)": the operator is the last word before the parenthesis.
            string head = term[..paren].TrimEnd();
            int space = head.LastIndexOf(' ');
            if (space <= 0 || term[^1] != ')')
            {
                return Fail(term, out error);
            }

            string key = head[..space].Trim();
            string word = head[(space + 1)..];
            SelectorOperator op = word switch
            {
                "in" => SelectorOperator.In,
                "notin" => SelectorOperator.NotIn,
                _ => (SelectorOperator)(-1),
            };
            if ((int)op < 0 || !IsKey(key))
            {
                return Fail(term, out error);
            }

            var values = new List<string>();
            foreach (string raw in term[(paren + 1)..^1].Split(','))
            {
                string value = raw.Trim();
                if (!IsValue(value))
                {
                    return Fail(term, out error);
                }

                values.Add(value);
            }

            return new SelectorRequirement(key, op, values);
        }

        int at = term.IndexOf("!=", StringComparison.Ordinal);
        int width = 2;
        SelectorOperator equality = SelectorOperator.NotEquals;
        if (at < 0)
        {
            equality = SelectorOperator.Equals;
            at = term.IndexOf("==", StringComparison.Ordinal);
            if (at < 0)
            {
                at = term.IndexOf('=', StringComparison.Ordinal);
                width = 1;
            }
        }

        if (at < 0)
        {
            string key = term.Trim();
            return IsKey(key) ? new SelectorRequirement(key, SelectorOperator.Exists, []) : Fail(term, out error);
        }

        string left = term[..at].Trim();
        string right = term[(at + width)..].Trim();
        return IsKey(left) && IsValue(right) ? new SelectorRequirement(left, equality, [right]) : Fail(term, out error);
    }

    private static SelectorRequirement? Fail(string term, out string? error)
    {
        error = $"unable to parse requirement: \"{term}\"";
        return null;
    }

    // A qualified name with an optional DNS-subdomain prefix: "app", "example.com/app" (apimachinery IsQualifiedName).
    internal static bool IsKey(string key)
    {
        if (key.Length == 0 || key.Length > 317)
        {
            return false;
        }

        int slash = key.IndexOf('/', StringComparison.Ordinal);
        string name = slash < 0 ? key : key[(slash + 1)..];
        if (slash == 0 || name.Contains('/', StringComparison.Ordinal) || name.Length is 0 or > 63)
        {
            return false;
        }

        return IsValue(name) && (slash < 0 || NameValidation.Validate(key[..slash], NameRule.DnsSubdomain) is null);
    }

    // A label value: empty, or up to 63 of [A-Za-z0-9-_.] starting and ending alphanumeric.
    internal static bool IsValue(string value)
    {
        if (value.Length == 0)
        {
            return true;
        }

        if (value.Length > 63 || !char.IsAsciiLetterOrDigit(value[0]) || !char.IsAsciiLetterOrDigit(value[^1]))
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
