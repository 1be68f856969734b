using Microsoft.Extensions.Options;

namespace Appliance.Store.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_AreTheDocumentedOnes_AndValidOnceAPathIsSet()
    {
        var options = new StoreOptions { DatabasePath = "/tmp/x.db" };

        Assert.Equal(1536 * 1024, options.MaxValueBytes);
        Assert.Equal(10_000, options.CompactionMinRevisions);
        Assert.Equal(TimeSpan.FromMinutes(5), options.CompactionMinAge);
        Assert.True(new StoreOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact(Timeout = TestTimeouts.Test)]
    public async Task OpenAsync_WithInvalidOptions_FailsNamingEachProblem()
    {
        var options = new StoreOptions { MaxValueBytes = 0, CompactionInterval = TimeSpan.Zero };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => KeyValueStore.OpenAsync(options));

        Assert.Equal(3, error.Failures.Count());
    }
}
