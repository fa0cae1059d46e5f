using System.Globalization;
using System.Text;

namespace Verify.Qemu;

/// <summary>
/// Puts the blocks of an <c>info mtree</c> dump into a fixed order. QEMU prints address spaces and
/// FlatViews by walking a GLib hash table keyed by pointers, so their order (and the aliased
/// <c>memory-region:</c> blocks, found while printing them, and the <c>FlatView #N</c> numbers) changes
/// from run to run of the same QEMU. This is the only normalisation a transcript applies to QEMU's
/// text besides turning the monitor's <c>\r\n</c> into <c>\n</c>; every line inside a block stays verbatim.
/// </summary>
public static class MtreeBlockOrder
{
    private const string FlatViewPrefix = "FlatView #";

    /// <summary>
    /// Sorts the blank-line separated blocks: <c>address-space:</c> blocks by their text, then
    /// <c>memory-region:</c> blocks by their text, then <c>FlatView</c> blocks by their text after the
    /// number line, renumbered 0, 1, ... in that order. Any other block keeps its place after those.
    /// </summary>
    /// <param name="dump">The dump, lines ending in <c>\n</c>.</param>
    /// <returns>The same blocks in the fixed order, each followed by one blank line as QEMU prints them.</returns>
    public static string Apply(string dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var blocks = new List<string[]>();
        var current = new List<string>();
        foreach (string line in dump.Split('\n'))
        {
            if (line.Length == 0)
            {
                if (current.Count > 0)
                {
                    blocks.Add([.. current]);
                    current.Clear();
                }

                continue;
            }

            current.Add(line);
        }

        if (current.Count > 0)
        {
            blocks.Add([.. current]);
        }

        var ordered = blocks
            .Select((block, index) => (Block: block, Index: index, Kind: Kind(block[0]), Key: SortKey(block)))
            .OrderBy(b => b.Kind)
            .ThenBy(b => b.Kind == 3 ? string.Empty : b.Key, StringComparer.Ordinal)
            .ThenBy(b => b.Index)
            .Select(b => b.Block)
            .ToList();

        var text = new StringBuilder();
        int flatView = 0;
        foreach (string[] block in ordered)
        {
            int first = 0;
            if (block[0].StartsWith(FlatViewPrefix, StringComparison.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"{FlatViewPrefix}{flatView++}\n");
                first = 1;
            }

            foreach (string line in block.Skip(first))
            {
                text.Append(line).Append('\n');
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static int Kind(string head) =>
        head.StartsWith("address-space:", StringComparison.Ordinal) ? 0
        : head.StartsWith("memory-region:", StringComparison.Ordinal) ? 1
        : head.StartsWith(FlatViewPrefix, StringComparison.Ordinal) ? 2
        : 3;

    private static string SortKey(string[] block) =>
        string.Join('\n', block[0].StartsWith(FlatViewPrefix, StringComparison.Ordinal) ? block.Skip(1) : block);
}
