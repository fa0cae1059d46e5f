using Verify.Harness.Execution;
using Verify.Harness.Scenarios;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;

namespace Verify.Regressions;

/// <summary>The reader's strictness on the mdev steps, declared process memory and the new container fields: each
/// bad input is one error naming its JSON path.</summary>
public class MdevStepReaderTests
{
    private static string File(string steps) =>
        $$"""{ "format": "verify-scenario", "version": 1, "steps": [ {{steps}} ] }""";

    public static TheoryData<string, string, string> BadSteps => new()
    {
        { """{ "device": { "container": "c", "name": "d", "callback": "unpins-some" } }""", "$.steps[0].device.callback", "\"unpins-one-page\"" },
        { """{ "device": { "container": "c", "callback": "none" } }""", "$.steps[0].device.name", "missing required field" },
        { """{ "pin": { "container": "c", "device": "d", "iova": "0x1000", "npage": 4097 } }""", "$.steps[0].pin.npage", "[0, 4096]" },
        { """{ "pin": { "container": "c", "device": "d", "iova": "0x1000", "npage": 1, "prot": "x" } }""", "$.steps[0].pin.prot", "\"rw\"" },
        { """{ "unpin": { "container": "c", "iova": "0x1000", "npage": 1 } }""", "$.steps[0].unpin.device", "missing required field" },
        { """{ "unpin": { "container": "c", "device": "d", "iova": "0x1000", "npage": 1, "prot": "r" } }""", "$.steps[0].unpin.prot", "unknown field 'prot'" },
        { """{ "map-dma": { "container": "c", "flags": "read", "iova": "0", "vaddr": "0", "size": "4K" } }""", "$.steps[0].map-dma.flags", "32-bit number" },
        { """{ "map-dma": { "container": "c", "flags": "0x100000000", "iova": "0", "vaddr": "0", "size": "4K" } }""", "$.steps[0].map-dma.flags", "32-bit number" },
        { """{ "map-dma": { "container": "c", "iova": "0", "size": "4K" } }""", "$.steps[0].map-dma.vaddr", "missing required field" },
        { """{ "unmap-dma": { "container": "c", "vaddr": true } }""", "$.steps[0].unmap-dma.vaddr", "unknown field 'vaddr'" },
        { """{ "unmap-dma": { "container": "c", "flags": 4 } }""", "$.steps[0].unmap-dma.flags", "a string" },
        { """{ "dma-access": { "container": "c" } }""", "$.steps[0].dma-access.iova", "missing required field" },
        { """{ "migrate": { "process": "p", "hva": "0x1001", "size": "4K", "to": "0x10000" } }""", "$.steps[0].migrate.hva", "multiple of 4K" },
        { """{ "migrate": { "process": "p", "hva": "0x1000", "size": "0", "to": "0x10000" } }""", "$.steps[0].migrate.size", "non-zero" },
        { """{ "process": { "name": "p", "memory": { "hva": "0" } } }""", "$.steps[0].process.memory", "an array of { hva, size, hpa }" },
        { """{ "process": { "name": "p", "memory": [ { "hva": "0", "size": "4K" } ] } }""", "$.steps[0].process.memory[0].hpa", "missing required field" },
        { """{ "process": { "name": "p", "reserved": [ { "hpa": "0", "size": "4K" } ] } }""", "$.steps[0].process.reserved", "only a process that declares its 'memory'" },
        { """{ "container": { "name": "c", "valid-iova": [ { "start": "0", "end": "2M" }, { "start": "1M", "end": "4M" } ] } }""", "$.steps[0].container.valid-iova[1]", "ascending" },
        { """{ "container": { "name": "c", "domains": [ { "format": "x86-64", "flush": "lazy" } ] } }""", "$.steps[0].container.domains[0].flush", "unknown field 'flush'" },
        { """{ "container": { "name": "c", "domains": [ { "format": "x86-64", "split": "bisect" } ] } }""", "$.steps[0].container.domains[0].split", "\"whole-leaf\"" },
        { """{ "container": { "name": "c", "bisect": true, "wrap-errno": "EINVAL" } }""", "$.steps[0].container.wrap-errno", "bisect: true" },
        { """{ "container": { "name": "c", "wrap-errno": "EWRAP" } }""", "$.steps[0].container.wrap-errno", "\"EOVERFLOW\"" },
        { """{ "unmap-dma": { "container": "c" }, "expect": { "kernel-bug": "yes" } }""", "$.steps[0].expect.kernel-bug", "true or false" },
        { """{ "unmap-dma": { "container": "c" }, "expect": { "external-pins": { "c": "none" } } }""", "$.steps[0].expect.external-pins.c", "an array of strings" },
        { """{ "pin": { "container": "c", "device": "d", "iova": "0", "npage": 1 }, "expect": { "pfns": "0x1000" } }""", "$.steps[0].expect.pfns", "host physical addresses" },
        { """{ "pin": { "container": "c", "device": "d", "iova": "0", "npage": 1 }, "expect": { "pfns": [ "0x1000", "x" ] } }""", "$.steps[0].expect.pfns[1]", "64-bit number" },
    };

    [Theory]
    [MemberData(nameof(BadSteps))]
    public void Read_BadMdevStep_NamesThePathAndWhatWasExpected(string step, string path, string expected)
    {
        var error = Assert.Throws<ScenarioFormatException>(() => ScenarioReader.Read(File(step)));

        Assert.Equal(path, error.JsonPath);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MdevStepsWithDefaults_GiveTheKernelsDefaults()
    {
        var steps = ScenarioReader.Read(File("""
            { "pin": { "container": "c", "device": "d", "iova": "0x1000", "npage": 513 } },
            { "map-dma": { "container": "c", "iova": "0x0", "vaddr": "0x7f0000000000", "size": "2M" } },
            { "map-dma": { "container": "c", "flags": "0x9", "iova": "0x0", "vaddr": "0x0", "size": "0" } },
            { "unmap-dma": { "container": "c", "flags": "all+vaddr" } },
            { "container": { "name": "c", "domains": [ "x86-64", { "format": "arm-lpae-4k", "split": "refuse" } ] } }
            """)).Steps;

        Assert.Equal(new PinStep("c", "d", 0x1000, 513, Protection.ReadWrite), steps[0]);
        Assert.Equal(Type1MapFlags.Read | Type1MapFlags.Write, ((MapDmaStep)steps[1]).Flags);
        Assert.Equal((Type1MapFlags)9, ((MapDmaStep)steps[2]).Flags);
        Assert.Equal(new UnmapDmaStep("c", Type1UnmapFlags.All | Type1UnmapFlags.Vaddr, 0, 0), steps[3]);
        var container = (ContainerStep)steps[4];
        Assert.Equal(new[] { SplitPolicy.Split, SplitPolicy.Refuse }, container.Splits.ToArray());
        Assert.Equal(new[] { SplitPolicy.Split, SplitPolicy.Refuse }, container.DomainOptions().Select(d => d.Split).ToArray());
    }

    [Fact]
    public void Write_RawFlagsAndDeclaredMemory_ReadBackEqual()
    {
        var scenario = Scenario.Create(new ScenarioHeader(Suite: "Test"),
        [
            new ProcessStep("p") { Memory = [new VirtualRun(0x7f00_0000_0000, 0x40_0000, 0x1_0000_0000)], Reserved = [new PhysicalRange(0xfe00_0000, 0x1_0000)] },
            new ContainerStep("c", new() { EntryLimit = 2 }) { Process = "p", ValidIova = [new(0, 0xfee0_0000)], WrapErrno = Verify.MemoryMap.Errno.EINVAL },
            new MapDmaStep("c", (Type1MapFlags)0x9, 0, 0x7f00_0000_0000, 0x1000),
            new UnmapDmaStep("c", (Type1UnmapFlags)0x10, 0x1000, 0x1000),
            new MdevDeviceStep("c", "d", Type1DeviceCallback.UnpinsOnePage),
            new MigrateStep("p", 0x7f00_0000_0000, 0x1000, 0x40_0000_0000) { Expect = StepExpectations.None with { KernelBug = false, Pfns = [0x1000] } },
        ]);

        string text = ScenarioWriter.Write(scenario);

        Assert.Equal(scenario, ScenarioReader.Read(text));
        Assert.Contains("\"flags\": \"0x9\"", text, StringComparison.Ordinal);
    }
}
