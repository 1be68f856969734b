namespace Appliance;

/// <summary>A value on the command line that parsed but cannot be used (e.g. a data dir that is not writable): exit code 2.</summary>
public sealed class CommandLineUsageException(string message) : Exception(message);
