using BenchmarkDotNet.Running;

// Runs the suites named on the command line, e.g. `dotnet run -c Release --project bench -- --filter '*Diff*'`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
