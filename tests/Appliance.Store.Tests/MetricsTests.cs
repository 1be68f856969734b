using System.Diagnostics.Metrics;

namespace Appliance.Store.Tests;

public sealed class MetricsTests : StoreTestBase
{
    [Fact(Timeout = TestTimeouts.Test)]
    public async Task Writes_AreCountedOnTheApplianceStoreMeterOfTheirStore()
    {
        long writes = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Appliance.Store" && instrument.Name == "appliance.store.writes"
                && instrument.Meter.Tags?.Any(t => t.Key == "appliance.store.path" && (string?)t.Value == Directory.DatabasePath) == true)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref writes, value));
        listener.Start();

        await CreateAsync("/registry/pods/default/a", "v");
        await Store.CreateAsync("/registry/pods/default/a", Bytes("dup"));

        Assert.Equal(2, Interlocked.Read(ref writes));
    }
}
