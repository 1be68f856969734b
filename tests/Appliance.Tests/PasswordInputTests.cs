using Appliance.User;

namespace Appliance.Tests;

/// <summary>The terminal prompt of `appliance user`: nothing echoed, typed twice, editing keys.</summary>
public sealed class PasswordInputTests
{
    private static Func<ConsoleKeyInfo> Keys(params object[] typed)
    {
        var keys = new Queue<ConsoleKeyInfo>();
        foreach (object item in typed)
        {
            if (item is string text)
            {
                foreach (char c in text)
                {
                    keys.Enqueue(new ConsoleKeyInfo(c, ConsoleKey.NoName, false, false, false));
                }
            }
            else
            {
                keys.Enqueue((ConsoleKeyInfo)item);
            }
        }

        return () => keys.Dequeue();
    }

    private static readonly ConsoleKeyInfo Enter = new('\r', ConsoleKey.Enter, false, false, false);
    private static readonly ConsoleKeyInfo Backspace = new('\b', ConsoleKey.Backspace, false, false, false);
    private static readonly ConsoleKeyInfo CtrlU = new('\u0015', ConsoleKey.U, false, false, true);
    private static readonly ConsoleKeyInfo Escape = new('\u001b', ConsoleKey.Escape, false, false, false);

    [Fact]
    public void TypedTwice_IsThePassword_AndNothingOfItIsEchoed()
    {
        var prompt = new StringWriter();
        string password = PasswordInput.FromTerminal(Keys("s3cret-typed-pw", Enter, "s3cret-typed-pw", Enter), prompt, "bob");
        Assert.Equal("s3cret-typed-pw", password);
        Assert.Contains("New password for bob: ", prompt.ToString(), StringComparison.Ordinal);
        Assert.Contains("Type it again: ", prompt.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", prompt.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TwoDifferentEntries_AreRefused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => PasswordInput.FromTerminal(Keys("first-password", Enter, "other-password", Enter), new StringWriter(), "bob"));
        Assert.Contains("differ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backspace_CtrlU_AndSurrogatePairs_EditAsAtAShell()
    {
        Assert.Equal("abd", PasswordInput.Hidden(Keys("abc", Backspace, "d", Enter), new StringWriter()));
        Assert.Equal("xy", PasswordInput.Hidden(Keys("garbage", CtrlU, "xy", Enter), new StringWriter()));
        Assert.Equal("a", PasswordInput.Hidden(Keys("a\U0001F511", Backspace, Enter), new StringWriter()));
        Assert.Equal("", PasswordInput.Hidden(Keys(Backspace, Enter), new StringWriter()));
    }

    [Fact]
    public void EscapeOrAnEmptyEntry_GivesUp()
    {
        Assert.Throws<InvalidOperationException>(() => PasswordInput.Hidden(Keys("abc", Escape), new StringWriter()));
        Assert.Throws<InvalidOperationException>(() => PasswordInput.FromTerminal(Keys(Enter), new StringWriter(), "bob"));
    }

    [Fact]
    public void FromLine_TakesTheFirstLineWithoutItsEnding()
    {
        Assert.Equal("pass word", PasswordInput.FromLine(new StringReader("pass word\r\nsecond line\n")));
        Assert.Throws<InvalidOperationException>(() => PasswordInput.FromLine(new StringReader("")));
        Assert.Throws<InvalidOperationException>(() => PasswordInput.FromLine(new StringReader("\n")));
    }
}
