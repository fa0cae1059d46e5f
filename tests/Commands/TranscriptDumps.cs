namespace Verify.Commands;

/// <summary>
/// Dumps cut out of a recorded QEMU transcript (<c>tests/Qemu/Fixtures</c>) into files, the way a user saves what
/// the monitor printed, so that the commands read real QEMU output.
/// </summary>
public static class TranscriptDumps
{
    /// <summary>Writes the listing printed after <c>--- info mtree</c> (or <c>-f</c>) at a step to a temporary file.</summary>
    public static string Save(string fixture, int step, bool flat)
    {
        var lines = File.ReadAllLines(Path.Combine(VerifyProcess.Repository, "tests", "Qemu", "Fixtures", fixture));
        int at = Array.FindIndex(lines, l => l.StartsWith($"=== step {step}:", StringComparison.Ordinal));
        Assert.True(at >= 0, $"{fixture} has no step {step}");
        string marker = flat ? "--- info mtree -f" : "--- info mtree";
        int start = Array.FindIndex(lines, at, l => l == marker) + 1;
        int end = Array.FindIndex(lines, start, l => l.StartsWith("--- ", StringComparison.Ordinal) || l.StartsWith("=== ", StringComparison.Ordinal));
        string path = Path.Combine(Path.GetTempPath(), $"verify-{Path.GetFileNameWithoutExtension(fixture)}-{step}-{(flat ? "flat" : "tree")}-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(path, lines[start..(end < 0 ? lines.Length : end)]);
        return path;
    }
}
