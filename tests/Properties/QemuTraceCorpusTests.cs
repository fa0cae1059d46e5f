using Verify.Harness.Dma;
using Verify.MemoryMap;
using Verify.Qemu.Trace;

namespace Verify.Properties;

/// <summary>Real QEMU trace logs from public reports (<c>tests/Trace/Corpus</c>, origins in its SOURCES.md), read and
/// replayed: what each shows is what the replay reports.</summary>
public class QemuTraceCorpusTests
{
    private static readonly string Corpus = Path.Combine(RepositoryPaths.Root, "tests", "Trace", "Corpus");

    private static QemuTraceLog Read(string file) => QemuTraceText.Read(File.ReadAllText(Path.Combine(Corpus, file)), file);

    [Fact]
    public void Corpus_EveryLogHasASourcesRowAndReads()
    {
        string sources = File.ReadAllText(Path.Combine(Corpus, "SOURCES.md"));
        var files = Directory.EnumerateFiles(Corpus, "*.log").Select(Path.GetFileName).ToList();

        Assert.Equal(5, files.Count);
        Assert.All(files, f => Assert.Contains($"| {f} |", sources, StringComparison.Ordinal));
        Assert.All(files, f => Assert.NotEmpty(Read(f!).Events));
    }

    [Fact]
    public void Replay_LibvfioUserReboot_ReadsTheThreadIdPrefixAndMeasuresTheWindowInMicroseconds()
    {
        var log = Read("libvfio-user-439-reboot.log");
        var replay = TraceReplay.Of(log);

        Assert.Equal(new QemuTraceStamp(38518, 1618242847, 937647), log.Events[0].Stamp);
        Assert.Empty(replay.Mismatches);
        // the BAR mapped at line 1 is unmapped at line 2; nothing maps it back, so no window
        Assert.Empty(replay.Windows);
        Assert.Contains(replay.Notes, n => n.StartsWith("1 region_del of sections added before the log starts", StringComparison.Ordinal));
    }

    [Fact]
    public void Replay_OverlappingRegionsThread_TheKernelWouldSayEexistWhereTheServerSaidEinval()
    {
        var log = Read("qemu-devel-2021-05-overlapping-regions.log");
        var replay = TraceReplay.Of(log);

        // The last add maps [0xc0000, 0xc1000) over the mapping of line 1, which no region_del removed.
        var mismatch = Assert.Single(replay.Mismatches);
        Assert.Equal((6, (Errno?)Errno.EINVAL, (Errno?)Errno.EEXIST), (mismatch.Line, mismatch.Traced, mismatch.Modelled));
        Assert.Equal("Resource temporarily unavailable", log.Events.OfType<QemuTraceEvent.MapFailed>().Single().Reason);
    }

    [Fact]
    public void Replay_IommufdMapFailure_TheRawIoctlReturnIsAFailureWithoutAnErrno()
    {
        var replay = TraceReplay.Of(Read("qemu-devel-2023-11-iommufd-map-einval.log"));

        var call = Assert.Single(replay.Calls);
        Assert.Null(call.Traced);
        Assert.Null(call.Modelled);
        Assert.Equal("iommufd", replay.Backend);
    }

    [Fact]
    public void Read_IommufdSetUp_CountsTheEventsItDoesNotReplayAndKeepsTheReadOnlyMap()
    {
        var log = Read("qemu-devel-2024-09-iommufd-mdev.log");

        Assert.Equal(3, log.Events.Length);
        Assert.Equal(6, log.Unknown.Values.Sum());
        Assert.True(((QemuTraceEvent.IommufdMap)log.Events[1]).ReadOnly);
        Assert.Equal(3, TraceReplay.Of(log).Calls.Length);
    }

    [Fact]
    public void Replay_UnmapAllPatch_OneUnmapOfTheWholeSpace()
    {
        var replay = TraceReplay.Of(Read("qemu-devel-2025-09-unmap-all.log"));

        Assert.IsType<Verify.Vfio.DmaOperation.UnmapAll>(Assert.Single(replay.Calls).Operation);
    }
}
