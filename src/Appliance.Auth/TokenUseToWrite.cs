namespace Appliance.Auth;

/// <summary>A use taken for writing: the token, when it was used, and its entry (<see cref="TokenUse.Untake"/> if the write fails).</summary>
public sealed record TokenUseToWrite(string TokenName, DateTimeOffset UsedAt, TokenUse Use)
{
    /// <summary>The write failed: the use is taken again on the next round.</summary>
    public void Retry() => Use.Untake();
}
