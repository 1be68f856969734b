using System.Text;
using Microsoft.Extensions.Logging;

namespace Appliance.Auth.Tests;

/// <summary>Keeps every formatted message and its structured values, so a test can search them for secrets.</summary>
internal sealed class CapturingLogger : ILogger<LdapAuthenticator>
{
    private readonly StringBuilder _text = new();

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_text)
        {
            _text.Append(eventId.Name).Append(' ').AppendLine(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    _text.Append(key).Append('=').AppendLine(value?.ToString());
                }
            }

            _text.AppendLine(exception?.ToString());
        }
    }
}
