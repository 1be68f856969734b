using System.Buffers;
using System.IO.Pipelines;

namespace Appliance.Proxy;

/// <summary>
/// The connection's reader as Kestrel gets it after the proxy peeked and passed the connection on: the first
/// read returns what was peeked at once (the inner pipe would wait for new bytes, since the peek examined
/// them), and an examined position short of what the peek examined is honoured by replaying the rest.
/// Built over the peek's read still outstanding (not advanced).
/// </summary>
internal sealed class PeekedPipeReader : PipeReader
{
    private readonly PipeReader _inner;
    private ReadOnlySequence<byte> _replay;
    private bool _replayCompleted;
    private bool _replaying;
    private bool _replayPending = true;

    public PeekedPipeReader(PipeReader inner, ReadOnlySequence<byte> peeked, bool completed)
    {
        _inner = inner;
        _replay = peeked;
        _replayCompleted = completed;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_replayPending)
        {
            _replaying = true;
            return new ValueTask<ReadResult>(new ReadResult(_replay, isCanceled: false, _replayCompleted));
        }

        return _inner.ReadAsync(cancellationToken);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_replayPending)
        {
            _replaying = true;
            result = new ReadResult(_replay, isCanceled: false, _replayCompleted);
            return true;
        }

        return _inner.TryRead(out result);
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (!_replaying)
        {
            _inner.AdvanceTo(consumed, examined);
            return;
        }

        // The peek's read is still outstanding on the inner pipe; it is completed only once, when the reader
        // above has examined everything the peek did (positions in the replay are the inner pipe's own).
        _replaying = false;
        if (_replay.Slice(examined).IsEmpty)
        {
            _replayPending = false;
            _inner.AdvanceTo(consumed, examined);
            return;
        }

        _replay = _replay.Slice(consumed);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);
}
