using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Verify.Harness.Dma;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Text;
using Verify.Vfio;

namespace Verify.Cli;

/// <summary>
/// <c>verify diff OLD NEW</c>: reads two <c>info mtree</c> dumps (either form; a tree is rendered first, see
/// <see cref="RenderCommand"/>) and shows what the transaction between them
/// costs a passed-through device: the listener callbacks, the naive vfio listener's ioctls and the coalescing
/// plans, with collateral pages, largest window and live mappings side by side.
/// </summary>
internal static class DiffCommand
{
    public static Command Create()
    {
        var oldFile = new Argument<FileInfo>("OLD") { Description = "'info mtree -f' (or 'info mtree') before the transaction" };
        var newFile = new Argument<FileInfo>("NEW") { Description = "'info mtree -f' (or 'info mtree') after the transaction" };
        var hints = MtreeInput.HintOption();
        var addressSpace = new Option<string>("--as") { HelpName = "NAME", Description = "the address space whose FlatView to compare", DefaultValueFactory = _ => "memory" };
        var hostPage = HostPageOption.Create();
        var json = new Option<bool>("--json") { Description = "print one JSON document instead of tables" };
        var html = new Option<FileInfo?>("--html") { HelpName = "FILE", Description = "also write FILE: one self-contained HTML page picturing the address space before and after, each listener's calls in order and its DMA windows" };
        var command = new Command("diff", "compare the naive vfio listener and the coalescing listener on one transaction OLD -> NEW")
        {
            oldFile, newFile, addressSpace, hostPage, hints, json, html,
        };
        command.SetAction(parse =>
        {
            string space = parse.GetValue(addressSpace)!;
            try
            {
                ulong page = HostPageOption.Parse(parse.GetValue(hostPage)!);
                var treeHints = MtreeInput.Hints(parse.GetValue(hints)!);
                var oldInput = MtreeInput.Read(parse.GetValue(oldFile)!, treeHints);
                var newInput = MtreeInput.Read(parse.GetValue(newFile)!, treeHints);
                var before = oldInput.SectionOf(space).View;
                var after = newInput.SectionOf(space).View;
                foreach (string assumption in oldInput.Assumptions.Concat(newInput.Assumptions).Distinct(StringComparer.Ordinal))
                {
                    Console.Error.WriteLine($"verify diff: assumed: {assumption}");
                }

                var comparison = ListenerComparison.Of(before, after, DmaOptions.Default with { HostPageSize = page });
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(ToJson(comparison, space).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                }
                else
                {
                    Print(comparison, space);
                }

                if (parse.GetValue(html) is { } picture)
                {
                    string title = $"{parse.GetValue(oldFile)!.Name} -> {parse.GetValue(newFile)!.Name}, address space \"{space}\"";
                    OutputFile.WriteText(picture, TransactionPicture.Html(title, [("before", before), ("after", after)], [.. comparison.Rows.Select(PictureRow.Of)]), "--html");
                }

                return 0;
            }
            catch (CommandInputException error)
            {
                return Fail(error.Message);
            }
        });
        return command;
    }

    private static void Print(ListenerComparison comparison, string space)
    {
        var console = Console.Out;
        console.WriteLine($"Topology events for address space \"{space}\" (nops left out):");
        foreach (var e in comparison.Events)
        {
            console.WriteLine($"  {e}");
        }

        foreach (var row in comparison.Rows)
        {
            console.WriteLine();
            console.WriteLine($"{row.Name}: {row.Description}");
            if (row.Plan.IsEmpty)
            {
                console.WriteLine("  (no ioctl)");
            }

            foreach (var op in row.Plan.Operations)
            {
                console.WriteLine($"  {op}");
            }

            if (row.Plan.ExceedsEntryLimit)
            {
                console.WriteLine("  refused: the plan passes the entry limit");
            }
        }

        console.WriteLine();
        var table = new Table().AddColumns("listener", "ioctls", "collateral pages", "collateral bytes", "largest window", "live mappings");
        foreach (var row in comparison.Rows)
        {
            table.AddRow(
                row.Name,
                Number(row.Plan.Ioctls),
                Number(Pages(row.Plan, comparison.HostPageSize)),
                AddressRangeText(row.Plan.CollateralBytes),
                Number(row.Plan.LargestWindow),
                Number(row.Plan.LiveMappingsAfter));
        }

        // Redirected output defaults to 80 columns, which wraps the table; the rows fit in 100.
        var ansi = AnsiConsole.Console;
        ansi.Profile.Width = Math.Max(ansi.Profile.Width, 100);
        ansi.Write(table);
    }

    private static JsonObject ToJson(ListenerComparison comparison, string space)
    {
        var rows = new JsonArray();
        foreach (var row in comparison.Rows)
        {
            rows.Add(new JsonObject
            {
                ["listener"] = row.Name,
                ["description"] = row.Description,
                ["operations"] = new JsonArray([.. row.Plan.Operations.Select(o => JsonValue.Create(o.ToString()))]),
                ["ioctls"] = row.Plan.Ioctls,
                ["collateralBytes"] = (decimal)row.Plan.CollateralBytes,
                ["collateralPages"] = (decimal)Pages(row.Plan, comparison.HostPageSize),
                ["largestWindow"] = row.Plan.LargestWindow,
                ["liveMappings"] = row.Plan.LiveMappingsAfter,
                ["peakLiveMappings"] = row.Plan.PeakLiveMappings,
                ["exceedsEntryLimit"] = row.Plan.ExceedsEntryLimit,
            });
        }

        return new JsonObject
        {
            ["addressSpace"] = space,
            ["hostPageSize"] = comparison.HostPageSize,
            ["events"] = new JsonArray([.. comparison.Events.Select(e => JsonValue.Create(e.ToString()))]),
            ["listeners"] = rows,
        };
    }

    private static UInt128 Pages(DmaPlan plan, ulong pageSize) => plan.CollateralBytes / pageSize;

    private static string Number<T>(T value)
        where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);

    private static string AddressRangeText(UInt128 bytes) => Verify.MemoryMap.AddressRange.FormatEnd(bytes);

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"verify diff: {message}");
        return 2;
    }

}
