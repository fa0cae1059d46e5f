using System.Globalization;
using Verify.Harness.Core;

namespace Verify.Harness.Running;

/// <summary>
/// How hard a property run tries: cases per property, the largest generator size, where the
/// random stream starts, or one exact case to replay. The defaults keep the whole test suite in
/// a few minutes on two cores; a longer budget is a setting (<c>VERIFY_MAX_TEST</c>), not the default.
/// </summary>
public sealed record PropertyBudget
{
    /// <summary>Cases per property when nothing is set.</summary>
    public const int DefaultMaxTest = 100;

    /// <summary>Largest generator size when nothing is set.</summary>
    public const int DefaultEndSize = 100;

    /// <summary>The default budget.</summary>
    public static PropertyBudget Default { get; } = new();

    /// <summary>Generated cases per property; at least 1.</summary>
    public int MaxTest { get; init; } = DefaultMaxTest;

    /// <summary>Generator size of the last case; at least 1.</summary>
    public int EndSize { get; init; } = DefaultEndSize;

    /// <summary>Start of the random stream; <see langword="null"/> for a fresh random start.</summary>
    public ulong? StartSeed { get; init; }

    /// <summary>One case to replay exactly; overrides <see cref="StartSeed"/>.</summary>
    public ReplaySeed? Replay { get; init; }

    /// <summary>
    /// Reads <c>VERIFY_MAX_TEST</c>, <c>VERIFY_END_SIZE</c>, <c>VERIFY_SEED</c> and <c>VERIFY_REPLAY</c>
    /// over <see cref="Default"/>.
    /// </summary>
    /// <param name="lookup">The environment; <see cref="Environment.GetEnvironmentVariable(string)"/> when null.</param>
    /// <returns>The budget.</returns>
    /// <exception cref="FormatException">A variable is set but does not hold a number of the right form.</exception>
    public static PropertyBudget FromEnvironment(Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        var budget = Default;
        if (Read(lookup, "VERIFY_MAX_TEST") is { } maxTest)
        {
            budget = budget with { MaxTest = PositiveInt("VERIFY_MAX_TEST", maxTest) };
        }

        if (Read(lookup, "VERIFY_END_SIZE") is { } endSize)
        {
            budget = budget with { EndSize = PositiveInt("VERIFY_END_SIZE", endSize) };
        }

        if (Read(lookup, "VERIFY_SEED") is { } seed)
        {
            budget = budget with
            {
                StartSeed = ulong.TryParse(seed, NumberStyles.None, CultureInfo.InvariantCulture, out ulong s)
                    ? s
                    : throw new FormatException($"VERIFY_SEED='{seed}': expected a decimal number"),
            };
        }

        if (Read(lookup, "VERIFY_REPLAY") is { } replay)
        {
            budget = budget with { Replay = ReplaySeed.Parse(replay) };
        }

        return budget;
    }

    private static string? Read(Func<string, string?> lookup, string name) =>
        lookup(name) is { Length: > 0 } value ? value.Trim() : null;

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new FormatException($"{name}='{value}': expected a positive whole number");
}
