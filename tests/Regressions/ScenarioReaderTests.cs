using Verify.Harness.Execution;
using Verify.Harness.Scenarios;
using Verify.MemoryMap;

namespace Verify.Regressions;

/// <summary>The reader's strictness: each kind of bad input is one error naming the JSON path.</summary>
public class ScenarioReaderTests
{
    private static string File(string steps) =>
        $$"""{ "format": "verify-scenario", "version": 1, "steps": [ {{steps}} ] }""";

    private static ScenarioFormatException Refused(string json) => Assert.Throws<ScenarioFormatException>(() => ScenarioReader.Read(json));

    [Fact]
    public void Read_UnknownFieldInStep_NamesThePathAndTheKnownFields()
    {
        var error = Refused(File("""{ "unmap": { "container": "c0", "iova": "0x1000", "size": "4K", "flags": 1 } }"""));

        Assert.Equal("$.steps[0].unmap.flags", error.JsonPath);
        Assert.Contains("unknown field 'flags'", error.Message, StringComparison.Ordinal);
        Assert.Contains("container, iova, size", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownStepKind_NamesTheKindAndTheKnownOnes()
    {
        var error = Refused(File("""{ "iommufd-map": { "container": "c0" } }"""));

        Assert.Equal("$.steps[0].iommufd-map", error.JsonPath);
        Assert.Contains("unknown step kind 'iommufd-map'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingField_NamesThePath()
    {
        var error = Refused(File("""{ "root": { "name": "r" } }, { "move": { "region": "a" } }"""));

        Assert.Equal("$.steps[1].move.address", error.JsonPath);
        Assert.Equal("$.steps[1].move.address: missing required field", error.Message);
    }

    [Fact]
    public void Read_FractionalNumber_SaysWhatWasExpected()
    {
        var error = Refused(File("""{ "root": { "name": "r" } }, { "root": { "name": "r" } }, { "commit": {} }, { "map": { "container": "c0", "iova": 12.5, "size": "4K", "region": "ram" } }"""));

        Assert.Equal("$.steps[3].map.iova: expected a 64-bit number as a hex or decimal string, got 12.5", error.Message);
    }

    [Fact]
    public void Read_JsonNumberAbove2To53_IsRefusedAsImprecise()
    {
        var error = Refused(File("""{ "unmap": { "container": "c0", "iova": 9007199254740993, "size": "4K" } }"""));

        Assert.Equal("$.steps[0].unmap.iova", error.JsonPath);
        Assert.Contains("above 2^53", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_JsonNumberAt2To53_IsAccepted()
    {
        var step = (UnmapStep)ScenarioReader.Read(File("""{ "unmap": { "container": "c0", "iova": 9007199254740992, "size": 4096 } }""")).Steps[0];

        Assert.Equal(AddressRange.FromBounds(1UL << 53, (1UL << 53) + 0x1000), step.Iova); // [2^53, 2^53 + 0x1000)
    }

    [Theory]
    [InlineData("2M", 0x20_0000UL)]
    [InlineData("1G", 0x4000_0000UL)]
    [InlineData("4k", 0x1000UL)]
    [InlineData("0x20_0000", 0x20_0000UL)]
    [InlineData("2097152", 0x20_0000UL)]
    public void Read_SizeForms_AreAccepted(string size, ulong expected)
    {
        var step = (UnmapStep)ScenarioReader.Read(File($$"""{ "unmap": { "container": "c0", "iova": "0", "size": "{{size}}" } }""")).Steps[0];

        Assert.Equal((UInt128)expected, step.Iova.Size);
    }

    [Theory]
    [InlineData("0x1_0000_0000_0000_0000")]
    [InlineData("0x10000000000000000")]
    [InlineData("2^64")]
    [InlineData("16E")]
    public void Read_EndAt2To64_IsHandledForEndsAndSizes(string top)
    {
        var scenario = ScenarioReader.Read(File($$"""
            { "view": { "ranges": [ { "start": "0xffff_ffff_ffff_f000", "end": "{{top}}", "region": "r", "kind": "ram" } ] } },
            { "unmap": { "container": "c0", "iova": "0", "size": "{{top}}" } }
            """));

        var view = (ViewStep)scenario.Steps[0];
        var unmap = (UnmapStep)scenario.Steps[1];
        Assert.Equal(AddressSpace.End, view.Ranges[0].Range.End); // [0xffff_ffff_ffff_f000, 2^64)
        Assert.Equal(AddressRange.WholeSpace, unmap.Iova); // [0, 2^64)
        Assert.Contains("\"end\": \"0x1_0000_0000_0000_0000\"", ScenarioWriter.Write(scenario), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AddressOf2To64_IsRefused()
    {
        var error = Refused(File("""{ "move": { "region": "a", "address": "0x1_0000_0000_0000_0000" } }"""));

        Assert.Equal("$.steps[0].move.address", error.JsonPath);
    }

    [Fact]
    public void Read_SizePast2To64_IsRefused()
    {
        var error = Refused(File("""{ "unmap": { "container": "c0", "iova": "0x1000", "size": "2^64" } }"""));

        Assert.Equal("$.steps[0].unmap.size", error.JsonPath);
    }

    [Fact]
    public void Read_DuplicateField_IsRefused()
    {
        var error = Refused(File("""{ "root": { "name": "a", "name": "b" } }"""));

        Assert.Equal("$.steps[0].root.name: the field appears twice", error.Message);
    }

    [Fact]
    public void Read_TwoOperationsInOneStep_IsRefused()
    {
        var error = Refused(File("""{ "commit": {}, "root": { "name": "r" } }"""));

        Assert.Equal("$.steps[0]", error.JsonPath);
    }

    [Fact]
    public void Read_OtherVersion_IsRefusedWithTheVersionNamed()
    {
        var error = Refused("""{ "format": "verify-scenario", "version": 2, "steps": [] }""");

        Assert.Equal("$.version", error.JsonPath);
    }

    [Fact]
    public void Read_BrokenJson_IsOneFormatError()
    {
        var error = Refused("""{ "format": "verify-scenario", "version": 1, "steps": [ }""");

        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownExpectation_NamesThePath()
    {
        var error = Refused(File("""{ "commit": {}, "expect": { "rangez": [] } }"""));

        Assert.Equal("$.steps[0].expect.rangez", error.JsonPath);
    }

    [Theory]
    [InlineData("""{ "process": { "name": "qemu", "rlimit": "lots" } }""", "$.steps[0].process.rlimit")]
    [InlineData("""{ "process": { "name": "qemu", "cap-ipc-lock": "yes" } }""", "$.steps[0].process.cap-ipc-lock")]
    [InlineData("""{ "process": { "rlimit": "1G" } }""", "$.steps[0].process.name")]
    [InlineData("""{ "container": { "name": "c0", "version": "v3" } }""", "$.steps[0].container.version")]
    [InlineData("""{ "container": { "name": "c0", "accounting": "per-user" } }""", "$.steps[0].container.accounting")]
    [InlineData("""{ "container": { "name": "c0", "domains": "x86-64" } }""", "$.steps[0].container.domains")]
    [InlineData("""{ "container": { "name": "c0", "domains": ["x86-64", "sparc"] } }""", "$.steps[0].container.domains[1]")]
    [InlineData("""{ "container": { "name": "c0", "page-size": "0x3000" } }""", "$.steps[0].container.page-size")]
    [InlineData("""{ "container": { "name": "c0", "domains": ["arm-lpae-64k"], "page-size": "4K" } }""", "$.steps[0].container.page-size")]
    [InlineData("""{ "container": { "name": "c0", "bisect": true, "domains": ["x86-64"] } }""", "$.steps[0].container.domains")]
    [InlineData("""{ "container": { "name": "c0", "bisect": true, "process": "qemu" } }""", "$.steps[0].container.process")]
    [InlineData("""{ "page-table": { "name": "t" } }""", "$.steps[0].page-table.format")]
    [InlineData("""{ "page-table": { "name": "t", "format": "x86-32" } }""", "$.steps[0].page-table.format")]
    [InlineData("""{ "page-table": { "name": "t", "format": "x86-64", "split": "halve" } }""", "$.steps[0].page-table.split")]
    [InlineData("""{ "page-table": { "name": "t", "format": "x86-64", "live-leaf": "ignore" } }""", "$.steps[0].page-table.live-leaf")]
    [InlineData("""{ "page-table": { "name": "t", "format": "x86-64", "sub-table": "keep" } }""", "$.steps[0].page-table.sub-table")]
    [InlineData("""{ "page-table": { "name": "t", "format": "x86-64", "invalidation": "none" } }""", "$.steps[0].page-table.invalidation")]
    [InlineData("""{ "page-table": { "name": "t", "format": "x86-64", "flush": "never" } }""", "$.steps[0].page-table.flush")]
    [InlineData("""{ "page-table": { "name": "t", "format": "x86-64", "threshold": 0 } }""", "$.steps[0].page-table.threshold")]
    [InlineData("""{ "page-table": { "name": "t", "format": "x86-64", "max-table-pages": 0 } }""", "$.steps[0].page-table.max-table-pages")]
    [InlineData("""{ "pt-map": { "table": "t", "iova": "0", "paddr": "0", "size": "4K", "prot": "x" } }""", "$.steps[0].pt-map.prot")]
    [InlineData("""{ "pt-map": { "table": "t", "iova": "0", "size": "4K" } }""", "$.steps[0].pt-map.paddr")]
    [InlineData("""{ "pt-map": { "table": "t", "iova": "0", "paddr": "0", "size": "2^64" } }""", "$.steps[0].pt-map.size")]
    [InlineData("""{ "pt-unmap": { "table": "t", "iova": "0" } }""", "$.steps[0].pt-unmap.size")]
    [InlineData("""{ "pt-unmap": { "table": "t", "iova": "0", "size": "4K", "gather": true } }""", "$.steps[0].pt-unmap.gather")]
    [InlineData("""{ "pt-sync": {} }""", "$.steps[0].pt-sync.table")]
    [InlineData("""{ "pt-flush": { "table": 3 } }""", "$.steps[0].pt-flush.table")]
    [InlineData("""{ "pt-access": { "table": "t" } }""", "$.steps[0].pt-access.iova")]
    public void Read_BadProcessContainerOrPageTableField_NamesThePath(string step, string path)
    {
        var error = Refused(File(step));

        Assert.Equal(path, error.JsonPath);
    }

    [Fact]
    public void Read_Type1FieldOnBisectContainer_SaysOnlyType1HasIt()
    {
        var error = Refused(File("""{ "container": { "name": "c0", "bisect": true, "version": "v1" } }"""));

        Assert.Equal("$.steps[0].container.version: only a type1 container has 'version'; this one has bisect: true", error.Message);
    }

    [Theory]
    [InlineData("""{ "locked-vm": { "qemu": "many" } }""", "$.steps[0].expect.locked-vm.qemu")]
    [InlineData("""{ "pinned": { "qemu": -1 } }""", "$.steps[0].expect.pinned.qemu")]
    [InlineData("""{ "pinned": [] }""", "$.steps[0].expect.pinned")]
    [InlineData("""{ "leaves": { "t": "leaf" } }""", "$.steps[0].expect.leaves.t")]
    [InlineData("""{ "stale": { "t": [1] } }""", "$.steps[0].expect.stale.t[0]")]
    [InlineData("""{ "memlock-limit": { "qemu": { "rule": "systemd", "guest-ram": "16G" } } }""", "$.steps[0].expect.memlock-limit.qemu.rule")]
    [InlineData("""{ "memlock-limit": { "qemu": { "rule": "libvirt" } } }""", "$.steps[0].expect.memlock-limit.qemu.guest-ram")]
    [InlineData("""{ "memlock-limit": { "qemu": { "rule": "libvirt", "guest-ram": "16G", "factor": 2 } } }""", "$.steps[0].expect.memlock-limit.qemu.factor")]
    [InlineData("""{ "translations": [ { "table": "t", "container": "c", "iova": "0", "to": null } ] }""", "$.steps[0].expect.translations[0]")]
    [InlineData("""{ "translations": [ { "table": "t", "iova": "0" } ] }""", "$.steps[0].expect.translations[0].to")]
    public void Read_BadAccountingOrPageTableExpectation_NamesThePath(string expect, string path)
    {
        var error = Refused(File($$"""{ "pt-sync": { "table": "t" }, "expect": {{expect}} }"""));

        Assert.Equal(path, error.JsonPath);
    }

    [Fact]
    public void Read_Type1ContainerAndPageTableSteps_WriteBackTheSameSteps()
    {
        var scenario = ScenarioReader.Read(File("""
            { "process": { "name": "vmm", "rlimit": "17G", "cap-ipc-lock": true },
              "expect": { "memlock-limit": { "vmm": { "rule": "libvirt-legacy", "guest-ram": "16G", "vfio-devices": 1, "viommu": false } } } },
            { "container": { "name": "c0", "process": "vmm", "version": "v1", "accounting": "shared", "page-size": "64K", "domains": ["arm-lpae-64k", "x86-64"] } },
            { "page-table": { "name": "t", "format": "arm-lpae-16k", "split": "refuse", "live-leaf": "keep-old", "sub-table": "empty-only",
                              "invalidation": "whole-domain", "flush": "lazy", "threshold": 8, "max-table-pages": 9 } },
            { "pt-map": { "table": "t", "iova": "0x4000", "paddr": "0x8000", "size": "16K", "prot": "r" },
              "expect": { "translations": [ { "table": "t", "iova": "0x4000", "to": "0x8000 r" } ], "leaves": { "t": [] }, "stale": { "t": [] } } },
            { "pt-unmap": { "table": "t", "iova": "0x4000", "size": "16K" }, "expect": { "locked-vm": { "vmm": "0" }, "pinned": { "vmm": 0 } } },
            { "pt-access": { "table": "t", "iova": "0x4000" } },
            { "pt-flush": { "table": "t" } }
            """)); // [0x4000, 0x8000) to pa [0x8000, 0xc000)

        var again = ScenarioReader.Read(ScenarioWriter.Write(scenario));

        Assert.True(scenario.Steps.SequenceEqual(again.Steps), ScenarioWriter.Write(again));
        var container = (ContainerStep)scenario.Steps[1];
        Assert.Equal(["arm-lpae-64k", "x86-64"], container.Domains.Select(d => d.Name));
        Assert.Equal(0x1_0000UL, container.ToType1Options().MinPageSize);
        Assert.Equal(Verify.IommuModel.Type1.Type1Version.V1, container.Version);
        Assert.Equal(17UL << 30, ((ProcessStep)scenario.Steps[0]).Rlimit);
    }
}
