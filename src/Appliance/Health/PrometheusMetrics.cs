using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Appliance.Health;

/// <summary>
/// <c>/metrics</c> in Prometheus' text format, from the process's own meters (every meter named
/// <c>Appliance.*</c>): counters as <c>_total</c>, histograms as <c>_sum</c> and <c>_count</c>, gauges as read at
/// scrape time. Names follow OpenTelemetry's Prometheus mapping (dots to underscores, the unit as a suffix).
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Instrument Instrument, string Labels), Series> _series = new();
    private readonly Lock _scrape = new();

    public PrometheusMetrics()
    {
        _listener.InstrumentPublished = static (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Appliance.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public async Task WriteAsync(HttpContext context)
    {
        string text;
        lock (_scrape)
        {
            // Gauges report only when asked: their last values are replaced, so a gone series is dropped.
            foreach (var key in _series.Keys)
            {
                if (IsObservable(key.Instrument))
                {
                    _series.TryRemove(key, out _);
                }
            }

            _listener.RecordObservableInstruments();
            text = Format();
        }

        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(text).ConfigureAwait(false);
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Series series = _series.GetOrAdd((instrument, Labels(instrument, tags)), static _ => new Series());
        lock (series)
        {
            if (IsObservable(instrument))
            {
                series.Value = value;
            }
            else
            {
                series.Value += value;
            }

            series.Count++;
        }
    }

    private string Format()
    {
        var text = new StringBuilder();
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in _series.GroupBy(static s => s.Key.Instrument).OrderBy(static g => g.Key.Name, StringComparer.Ordinal))
        {
            Instrument instrument = group.Key;
            string name = Name(instrument);
            bool histogram = instrument is Histogram<long> or Histogram<double> or Histogram<int>;
            bool counter = instrument is Counter<long> or Counter<double> or Counter<int>;
            string type = histogram ? "summary" : counter ? "counter" : "gauge";
            if (written.Add(name))
            {
                text.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description?.Replace('\n', ' ')).Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            }

            foreach (var ((_, labels), series) in group)
            {
                lock (series)
                {
                    if (histogram)
                    {
                        Line(text, name + "_sum", labels, series.Value);
                        Line(text, name + "_count", labels, series.Count);
                    }
                    else
                    {
                        Line(text, counter ? name + "_total" : name, labels, series.Value);
                    }
                }
            }
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, string labels, double value)
        => text.Append(name).Append(labels).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    private static bool IsObservable(Instrument instrument) => instrument.IsObservable;

    private static string Name(Instrument instrument)
    {
        string name = Sanitize(instrument.Name);
        string? unit = instrument.Unit switch
        {
            "s" => "seconds",
            "By" => "bytes",
            "ms" => "milliseconds",
            _ => null,
        };
        return unit is null || name.EndsWith("_" + unit, StringComparison.Ordinal) ? name : name + "_" + unit;
    }

    private static string Labels(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pairs = new List<KeyValuePair<string, object?>>();
        foreach (var tag in instrument.Meter.Tags ?? [])
        {
            pairs.Add(tag);
        }

        foreach (var tag in tags)
        {
            pairs.Add(tag);
        }

        if (pairs.Count == 0)
        {
            return "";
        }

        pairs.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var labels = new StringBuilder("{");
        for (int i = 0; i < pairs.Count; i++)
        {
            labels.Append(i == 0 ? "" : ",").Append(Sanitize(pairs[i].Key)).Append("=\"")
                .Append(Convert.ToString(pairs[i].Value, CultureInfo.InvariantCulture)?.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n")).Append('"');
        }

        return labels.Append('}').ToString();
    }

    private static string Sanitize(string name)
    {
        var sanitized = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            sanitized.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return sanitized.ToString();
    }

    private sealed class Series
    {
        public double Value;
        public long Count;
    }
}
