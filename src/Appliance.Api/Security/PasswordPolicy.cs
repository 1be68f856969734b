using System.Globalization;

namespace Appliance.Api.Security;

/// <summary>
/// The local-password rules an administrator can tune: the minimum length is Rancher's Setting
/// <c>password-min-length</c> (<see cref="Appliance.Auth.PasswordHasher.DefaultMinimumLength"/>, 12, when unset).
/// </summary>
public static class PasswordPolicy
{
    public const string MinimumLengthSetting = "password-min-length";

    /// <summary>Rancher's bounds of the setting; a value outside them (or not a number) is ignored for the default.</summary>
    public const int LowestMinimum = 2;
    public const int HighestMinimum = 256;

    public static int MinimumLength(ResourceEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ResourceDefinition settings = engine.Registry.Find(ResourceRegistry.ManagementGroup, "v1", "settings")!;
        string? value = FieldRules.Text(engine.Find(settings, null, MinimumLengthSetting)?["value"]);
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int length) && length is >= LowestMinimum and <= HighestMinimum
            ? length
            : Appliance.Auth.PasswordHasher.DefaultMinimumLength;
    }
}
