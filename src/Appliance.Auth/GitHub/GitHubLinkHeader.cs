namespace Appliance.Auth.GitHub;

/// <summary>Reads RFC 8288 (formerly RFC 5988) <c>Link</c> headers as GitHub sends them for pagination.</summary>
internal static class GitHubLinkHeader
{
    /// <summary>
    /// The target of the first link whose <c>rel</c> includes <paramref name="relation"/>, e.g. from
    /// <c>&lt;https://api.github.com/user/teams?per_page=100&amp;page=2&gt;; rel="next", &lt;…&gt;; rel="last"</c>.
    /// Relative targets resolve against <paramref name="requestUri"/>. Null when there is none or it does not parse.
    /// </summary>
    public static Uri? FindRelation(IEnumerable<string> headerValues, string relation, Uri requestUri)
    {
        foreach (var headerValue in headerValues)
        {
            var rest = headerValue.AsSpan();
            while (true)
            {
                rest = rest.TrimStart();
                if (rest.IsEmpty || rest[0] != '<')
                {
                    break;
                }

                var close = rest.IndexOf('>');
                if (close < 0)
                {
                    break;
                }

                var target = rest[1..close].ToString();
                rest = rest[(close + 1)..];
                // Parameters run to the next comma outside a quoted string; a URI cannot hold an
                // unescaped '>' so the target above is whole, but a quoted title can hold a comma.
                var end = ParametersEnd(rest);
                var parameters = rest[..end];
                rest = end < rest.Length ? rest[(end + 1)..] : [];
                if (HasRelation(parameters, relation) && Uri.TryCreate(requestUri, target, out var uri))
                {
                    return uri;
                }
            }
        }

        return null;
    }

    private static int ParametersEnd(ReadOnlySpan<char> value)
    {
        var quoted = false;
        for (var i = 0; i < value.Length; i++)
        {
            switch (value[i])
            {
                case '"':
                    quoted = !quoted;
                    break;
                case '\\' when quoted:
                    i++;
                    break;
                case ',' when !quoted:
                    return i;
            }
        }

        return value.Length;
    }

    private static bool HasRelation(ReadOnlySpan<char> parameters, string relation)
    {
        foreach (var range in parameters.Split(';'))
        {
            var parameter = parameters[range].Trim();
            var equals = parameter.IndexOf('=');
            if (equals < 0 || !parameter[..equals].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var value = parameter[(equals + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
            {
                value = value[1..^1];
            }

            // rel may list several space-separated relation types (RFC 8288 section 3.3).
            foreach (var typeRange in value.Split(' '))
            {
                if (value[typeRange].Equals(relation, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
