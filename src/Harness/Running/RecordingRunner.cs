using FsCheck;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace Verify.Harness.Running;

/// <summary>
/// An FsCheck runner that keeps what happened instead of printing it, so a caller
/// (an xunit fact or the <c>verify check</c> command) decides how to report.
/// </summary>
internal sealed class RecordingRunner : IRunner
{
    private readonly Action<int>? _progress;

    public RecordingRunner(Action<int>? progress) => _progress = progress;

    public TestResult? Result { get; private set; }

    public string Report { get; private set; } = "";

    public int ShrinkSteps { get; private set; }

    public void OnStartFixture(Type value)
    {
    }

    public void OnArguments(int value, FSharpList<object> args, FSharpFunc<int, FSharpFunc<FSharpList<object>, string>> every) =>
        _progress?.Invoke(value);

    public void OnShrink(FSharpList<object> args, FSharpFunc<FSharpList<object>, string> everyShrink) => ShrinkSteps++;

    public void OnFinished(string name, TestResult testResult)
    {
        Result = testResult;
        Report = Runner.onFinishedToString(name, testResult);
    }
}
