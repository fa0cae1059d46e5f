using Verify.MemoryMap.Text;

namespace Verify.Harness.Generators;

/// <summary>
/// One generated input of FV-05: a dump to write and read back. Prints as the <c>info mtree -f</c> text
/// plus the attributes the text drops, so a shrunk counterexample reads like a dump a user could paste.
/// </summary>
/// <param name="Dump">The dump, not normalized: it may carry attributes the text cannot show.</param>
public sealed record MtreeTextCase(MtreeFlatDump Dump)
{
    /// <summary>The dump's text, then every range in bracket form with all its attributes.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var lines = new List<string> { MtreeFlatText.Write(Dump).TrimEnd(), "-- ranges with every attribute:" };
        for (int s = 0; s < Dump.Sections.Length; s++)
        {
            lines.AddRange(Dump.Sections[s].View.Select(r => $"#{s} {r}"));
        }

        return string.Join(Environment.NewLine, lines);
    }
}
