using System.Runtime.Versioning;
using Verify.Qemu;

namespace Verify.Properties;

/// <summary>The recorder's command line and its failures before QEMU ever answers; none needs QEMU.</summary>
/// <remarks>Linux only, like the recorder: the stand-in QEMUs are shell scripts.</remarks>
[SupportedOSPlatform("linux")]
public class QemuRecorderTests
{
    private static readonly QemuScript Script = QemuScript.Parse("machine q35\nargs -m 512\nstep one\n  qtest outb 0x80 0x1\n", "t.qemu");

    [Fact]
    public void Arguments_AnyScript_StopsTheCpuAndAppendsScriptArgsLast()
    {
        var args = QemuRecorder.Arguments(Script, "/tmp/m.sock");
        Assert.Contains("-S", args);
        Assert.Equal(["-M", "q35"], args.Take(2));
        Assert.Equal(["-m", "512"], args.TakeLast(2));
        Assert.Contains("unix:/tmp/m.sock,server=on,wait=off", args);
    }

    [Fact]
    public void Arguments_EveryOptionTheRecorderSets_IsReservedFromScripts()
    {
        // A script that could repeat one of these would override what makes a recording reproducible.
        var own = QemuRecorder.Arguments(Script, "/tmp/m.sock").SkipLast(Script.Args.Length).Where(a => a.StartsWith('-'));
        Assert.All(own, option => Assert.Contains(option, QemuScript.ReservedArgs));
    }

    [Fact]
    public async Task RecordAsync_BinaryNotOnPath_SaysHowToInstallQemu()
    {
        var recorder = new QemuRecorder(new QemuRecorderOptions { Binary = "qemu-system-x86_64-that-does-not-exist" });
        var error = await Assert.ThrowsAsync<QemuRecordingException>(() => recorder.RecordAsync(Script));
        Assert.Equal("qemu-system-x86_64-that-does-not-exist not found on PATH; install it with apt-get install -y qemu-system-x86", error.Message);
    }

    [Fact]
    public async Task RecordAsync_BinaryExitsAtOnce_ReportsExitCodeAndStderr()
    {
        // The stand-in for a QEMU that rejects its arguments prints to stderr and exits 3.
        var error = await RecordWithFakeQemu("echo 'fake: bad option' >&2\nexit 3", TimeSpan.FromSeconds(5));
        Assert.StartsWith("QEMU exited (code 3)", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("QEMU's stderr: fake: bad option", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordAsync_BinaryNeverOpensTheMonitor_TimesOut()
    {
        // A QEMU that hangs before listening must not hang the recorder.
        var error = await RecordWithFakeQemu("exec sleep 30", TimeSpan.FromSeconds(0.5));
        Assert.Contains("did not accept a connection within 0.5 s", error.Message, StringComparison.Ordinal);
    }

    private static async Task<QemuRecordingException> RecordWithFakeQemu(string shellBody, TimeSpan timeout)
    {
        string fake = Path.Combine(Path.GetTempPath(), $"fake-qemu-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(fake, $"#!/bin/sh\n{shellBody}\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var recorder = new QemuRecorder(new QemuRecorderOptions { Binary = fake, CommandTimeout = timeout });
            return await Assert.ThrowsAsync<QemuRecordingException>(() => recorder.RecordAsync(Script));
        }
        finally
        {
            File.Delete(fake);
        }
    }
}
