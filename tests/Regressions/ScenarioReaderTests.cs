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
        var error = Refused(File("""{ "pin": { "container": "c0" } }"""));

        Assert.Equal("$.steps[0].pin", error.JsonPath);
        Assert.Contains("unknown step kind 'pin'", error.Message, StringComparison.Ordinal);
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
}
