using System.CommandLine.Parsing;

namespace Appliance;

/// <summary>The parser of options that take the server's https URL (System.CommandLine has none for Uri under NativeAOT).</summary>
internal static class HttpsUrl
{
    public static Uri Parse(ArgumentResult result)
    {
        string value = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            result.AddError($"{((OptionResult)result.Parent!).Option.Name}: '{value}' is not an https URL.");
            return null!;
        }

        return uri;
    }
}
