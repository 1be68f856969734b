using Microsoft.Extensions.Options;

namespace Appliance.Store;

/// <summary>Rejects settings the store cannot run with, at start-up rather than at the first write.</summary>
public sealed class StoreOptionsValidator : IValidateOptions<StoreOptions>
{
    public ValidateOptionsResult Validate(string? name, StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string>? failures = null;
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            (failures ??= []).Add("DatabasePath is required.");
        }

        if (options.MaxValueBytes is < 1 or > 64 * 1024 * 1024)
        {
            (failures ??= []).Add("MaxValueBytes must be between 1 and 64 MiB.");
        }

        if (options.MaxKeyLength is < 16 or > 65536)
        {
            (failures ??= []).Add("MaxKeyLength must be between 16 and 65536.");
        }

        if (options.MaxBatchSize is < 1 or > 65536)
        {
            (failures ??= []).Add("MaxBatchSize must be between 1 and 65536.");
        }

        if (options.WatchWindow is < 16 or > 1 << 24)
        {
            (failures ??= []).Add("WatchWindow must be between 16 and 16777216.");
        }

        if (options.CompactionMinRevisions < 0)
        {
            (failures ??= []).Add("CompactionMinRevisions must not be negative.");
        }

        if (options.CompactionMinAge < TimeSpan.Zero)
        {
            (failures ??= []).Add("CompactionMinAge must not be negative.");
        }

        if (options.CompactionInterval != Timeout.InfiniteTimeSpan && options.CompactionInterval <= TimeSpan.Zero)
        {
            (failures ??= []).Add("CompactionInterval must be positive or infinite.");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
