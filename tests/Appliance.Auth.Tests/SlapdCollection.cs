namespace Appliance.Auth.Tests;

/// <summary>Every test that talks to slapd joins this collection, so one server serves the whole assembly.</summary>
[CollectionDefinition(Name)]
public sealed class SlapdCollection : ICollectionFixture<SlapdFixture>
{
    public const string Name = "slapd";
}
