namespace Appliance.Api.Tests;

/// <summary>One <c>Set-Cookie</c> of a response, parsed the way a browser reads it (RFC 6265 section 5.2).</summary>
public sealed record SetCookie(string Name, string Value, IReadOnlyDictionary<string, string> Attributes)
{
    public bool Has(string attribute) => Attributes.ContainsKey(attribute);

    public string? this[string attribute] => Attributes.TryGetValue(attribute, out string? value) ? value : null;

    /// <summary>Tells the browser to drop the cookie: <c>Max-Age=0</c> (or less).</summary>
    public bool Deletes => this["Max-Age"] is string maxAge && int.Parse(maxAge, System.Globalization.CultureInfo.InvariantCulture) <= 0;

    /// <summary>Every <c>Set-Cookie</c> of <paramref name="response"/> by name (the last one of a name wins, as in a browser).</summary>
    public static Dictionary<string, SetCookie> All(HttpResponseMessage response)
    {
        var cookies = new Dictionary<string, SetCookie>(StringComparer.Ordinal);
        if (!response.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? values))
        {
            return cookies;
        }

        foreach (string header in values)
        {
            string[] parts = header.Split(';');
            int equals = parts[0].IndexOf('=', StringComparison.Ordinal);
            var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (string part in parts.Skip(1))
            {
                string trimmed = part.Trim();
                int eq = trimmed.IndexOf('=', StringComparison.Ordinal);
                attributes[eq < 0 ? trimmed : trimmed[..eq]] = eq < 0 ? "" : trimmed[(eq + 1)..];
            }

            string name = parts[0][..equals].Trim();
            cookies[name] = new SetCookie(name, parts[0][(equals + 1)..].Trim(), attributes);
        }

        return cookies;
    }
}
