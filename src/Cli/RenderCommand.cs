using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Verify.MemoryMap;
using Verify.MemoryMap.Text;

namespace Verify.Cli;

/// <summary>
/// <c>verify render TREE</c>: renders a tree-form <c>info mtree</c> dump and prints it as <c>info mtree -f</c> would
/// for the same state, so that a user who pasted only the tree gets the FlatViews our listener checks see. What the
/// tree text cannot say (an old <c>RW</c> leaf's kind) is assumed and each assumption is printed on standard error,
/// keeping standard output a listing that <c>verify diff</c> reads back.
/// </summary>
internal static class RenderCommand
{
    public static Command Create()
    {
        var treeFile = new Argument<FileInfo>("TREE") { Description = "'info mtree' (the tree listing) as QEMU printed it" };
        var addressSpace = new Option<string?>("--as") { HelpName = "NAME", Description = "print only the FlatView of this address space" };
        var region = new Option<string?>("--region") { HelpName = "NAME", Description = "render a 'memory-region:' section instead of an address space" };
        var hints = MtreeInput.HintOption();
        var json = new Option<bool>("--json") { Description = "print one JSON document instead of the flat listing" };
        var command = new Command("render", "render an 'info mtree' tree dump and print it as 'info mtree -f' would")
        {
            treeFile, addressSpace, region, hints, json,
        };
        command.SetAction(parse =>
        {
            try
            {
                var input = MtreeInput.Read(parse.GetValue(treeFile)!, MtreeInput.Hints(parse.GetValue(hints)!));
                var dump = Select(input, parse.GetValue(addressSpace), parse.GetValue(region));
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(ToJson(input, dump).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                }
                else
                {
                    MtreeFlatText.Write(dump, Console.Out);
                    foreach (string assumption in input.Assumptions)
                    {
                        Console.Error.WriteLine($"verify render: assumed: {assumption}");
                    }
                }

                return 0;
            }
            catch (CommandInputException error)
            {
                Console.Error.WriteLine($"verify render: {error.Message}");
                return 2;
            }
        });
        return command;
    }

    private static MtreeFlatDump Select(MtreeInput input, string? addressSpace, string? region)
    {
        var tree = input.Tree ?? throw new CommandInputException(
            $"{input.File}: this is the flat listing ('info mtree -f'); render reads the tree listing ('info mtree'), and verify diff reads either");
        if (addressSpace is not null && region is not null)
        {
            throw new CommandInputException("--as and --region: expected one of them, got both");
        }

        if (region is not null)
        {
            var section = tree.FindRegion(region) ?? throw new CommandInputException(
                $"{input.File}: no \"memory-region: {region}\" section (it has {MtreeInput.Listed(tree.MemoryRegions.Distinct(StringComparer.Ordinal))})");
            try
            {
                return new MtreeFlatDump([section.ToFlatSection()], [0], MtreeFlatStart.RootLine);
            }
            catch (InvalidOperationException error)
            {
                throw new CommandInputException($"{input.File}: {error.Message}");
            }
        }

        if (addressSpace is not null)
        {
            return new MtreeFlatDump([input.SectionOf(addressSpace)]);
        }

        return input.Flat;
    }

    private static JsonObject ToJson(MtreeInput input, MtreeFlatDump dump)
    {
        var sections = new JsonArray();
        for (int i = 0; i < dump.Sections.Length; i++)
        {
            var section = dump.Sections[i];
            sections.Add(new JsonObject
            {
                ["number"] = dump.Numbers[i],
                ["addressSpaces"] = new JsonArray([.. section.AddressSpaces.Select(a => new JsonObject
                {
                    ["name"] = a.Name,
                    ["root"] = a.Root,
                    ["rootAlias"] = a.RootAlias,
                })]),
                ["root"] = section.RootRegion,
                ["ranges"] = new JsonArray([.. section.View.Select(r => new JsonObject
                {
                    ["start"] = Hex(r.Range.Start),
                    ["end"] = AddressRange.FormatEnd(r.Range.End),
                    ["region"] = r.Region,
                    ["kind"] = r.Kind.ToString().ToLowerInvariant(),
                    ["offset"] = Hex(r.OffsetInRegion),
                    ["readOnly"] = r.ReadOnly,
                    ["nonVolatile"] = r.NonVolatile,
                    ["priority"] = r.Priority,
                })]),
            });
        }

        return new JsonObject
        {
            ["file"] = input.File.ToString(),
            ["sections"] = sections,
            ["assumptions"] = new JsonArray([.. input.Assumptions.Select(a => JsonValue.Create(a))]),
        };
    }

    private static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
