using System.Text;

namespace Appliance.User;

/// <summary>
/// Where `appliance user` gets a password: never from the command line (it would sit in the shell history and in
/// every process listing). From stdin when it is not a terminal (the first line, for scripts:
/// <c>printf '%s\n' "$pw" | appliance user add bob</c>); at a terminal, typed twice at a prompt on stderr without echo.
/// </summary>
internal static class PasswordInput
{
    public static string Read(string username, TextWriter prompt)
        => Console.IsInputRedirected
            ? FromLine(Console.In)
            : FromTerminal(static () => Console.ReadKey(intercept: true), prompt, username);

    /// <summary>The first line of <paramref name="input"/>, without its line ending.</summary>
    internal static string FromLine(TextReader input)
    {
        string? line = input.ReadLine();
        if (line is null)
        {
            throw new InvalidOperationException("no password on stdin: give it as the first line of the input, or run this at a terminal to be asked.");
        }

        if (line.Length == 0)
        {
            throw new InvalidOperationException("the password on stdin is empty.");
        }

        return line;
    }

    /// <summary>Asks twice, echoing nothing; the two must match.</summary>
    internal static string FromTerminal(Func<ConsoleKeyInfo> readKey, TextWriter prompt, string username)
    {
        prompt.Write($"New password for {username}: ");
        prompt.Flush();
        string first = Hidden(readKey, prompt);
        if (first.Length == 0)
        {
            throw new InvalidOperationException("no password given.");
        }

        prompt.Write("Type it again: ");
        prompt.Flush();
        if (Hidden(readKey, prompt) != first)
        {
            throw new InvalidOperationException("the two passwords differ; nothing was changed.");
        }

        return first;
    }

    /// <summary>One line typed at the terminal, shown as nothing: Backspace deletes, Ctrl-U clears, Escape or Ctrl-D on an empty line gives up.</summary>
    internal static string Hidden(Func<ConsoleKeyInfo> readKey, TextWriter prompt)
    {
        var typed = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = readKey();
            bool control = (key.Modifiers & ConsoleModifiers.Control) != 0;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    prompt.WriteLine();
                    return typed.ToString();
                case ConsoleKey.Backspace:
                    // A character outside the BMP is two UTF-16 units: delete both.
                    int remove = typed.Length >= 2 && char.IsLowSurrogate(typed[^1]) && char.IsHighSurrogate(typed[^2]) ? 2 : Math.Min(1, typed.Length);
                    typed.Length -= remove;
                    continue;
                case ConsoleKey.U when control:
                    typed.Clear();
                    continue;
                case ConsoleKey.Escape:
                case ConsoleKey.D when control && typed.Length == 0:
                    prompt.WriteLine();
                    throw new InvalidOperationException("no password given.");
            }

            if (!char.IsControl(key.KeyChar))
            {
                typed.Append(key.KeyChar);
            }
        }
    }
}
