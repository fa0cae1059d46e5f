using System.Text.Json.Nodes;

namespace Verify.Commands;

/// <summary>docs/protocol.md's machine-readable parts stay true: the schema is JSON naming version 1, and each committed
/// transcript is a real conversation in the shape the document describes (a hello, then requests with ids 1, 2, ...
/// each followed by its answer, ending with the shutdown).</summary>
public sealed class ProtocolDocumentTests
{
    private static readonly string Docs = Path.Combine(VerifyProcess.Repository, "docs");

    [Fact]
    public void Schema_IsJsonForVersionOne()
    {
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(Docs, "protocol.schema.json")))!;

        Assert.Equal(1, (int)schema["$defs"]!["hello"]!["properties"]!["version"]!["const"]!);
        Assert.Equal("dmaverify-impl", (string)schema["$defs"]!["hello"]!["properties"]!["protocol"]!["const"]!);
    }

    [Theory]
    [InlineData("protocol-transcript.jsonl")]
    [InlineData("protocol-transcript-listener.jsonl")]
    [InlineData("protocol-transcript-flatview.jsonl")]
    public void Transcript_IsHelloThenRequestAnswerPairsInOrder(string name)
    {
        var lines = File.ReadAllLines(Path.Combine(Docs, "examples", name)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

        Assert.Equal("dmaverify-impl", (string)lines[0]["protocol"]!);
        Assert.Equal(1, lines.Count % 2);
        for (int i = 1; i < lines.Count; i += 2)
        {
            long id = (i + 1) / 2;
            Assert.Equal(id, (long)lines[i]["id"]!);
            Assert.NotNull(lines[i]["call"]);
            Assert.Equal(id, (long)lines[i + 1]["id"]!);
            Assert.Null(lines[i + 1]["call"]);
            Assert.Null(lines[i + 1]["error"]);
        }

        Assert.Equal("shutdown", (string)lines[^2]["call"]!);
    }
}
