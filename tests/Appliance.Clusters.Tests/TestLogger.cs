using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Appliance.Clusters.Tests;

/// <summary>Keeps every formatted log line, so tests can check that a failure was logged clearly.</summary>
internal class TestLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");

    public bool Contains(string text) => Count(text) > 0;

    /// <summary>How many lines hold <paramref name="text"/>.</summary>
    public int Count(string text)
    {
        int count = 0;
        foreach (string line in _lines)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }
}

/// <summary>The same, for a class that takes its typed logger.</summary>
internal sealed class TestLogger<T> : TestLogger, ILogger<T>;
