namespace Appliance.Auth.Tests;

/// <summary>Every test that talks to the Samba AD DC joins this collection: one domain controller serves them all.</summary>
[CollectionDefinition(Name)]
public sealed class SambaAdCollection : ICollectionFixture<SambaAdFixture>
{
    public const string Name = "samba-ad";
}
