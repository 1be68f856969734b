using BenchmarkDotNet.Running;

// Every benchmark class in this assembly; pick with --filter, e.g. `--filter '*Store*'`.
// With no arguments it lists what is here and exits, so CI can prove the project runs.
if (args.Length == 0)
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(["--list", "flat"]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
