namespace Verify.Harness.Running;

/// <summary>The entry point test facts use: run a property with the environment's budget and fail loudly.</summary>
public static class PropertyAssert
{
    /// <summary>
    /// Runs <paramref name="property"/> with <see cref="PropertyBudget.FromEnvironment"/>; on success writes
    /// the case count and classification table to <paramref name="log"/>; on failure throws
    /// <see cref="PropertyFailedException"/> whose message holds the shrunk case as a scenario and ends with the
    /// replay line. With <c>VERIFY_SAVE=1</c> the scenario is also saved under <c>tests/Regressions/Cases</c> and
    /// the message says where.
    /// </summary>
    /// <param name="property">The catalogued property.</param>
    /// <param name="log">Where the classification table goes (an xunit test output).</param>
    /// <returns>The passing outcome.</returns>
    public static PropertyOutcome Holds(PropertyDefinition property, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var outcome = PropertyRunner.Run(property, PropertyBudget.FromEnvironment());
        if (!outcome.Passed)
        {
            throw new PropertyFailedException(outcome, Execution.RegressionStore.SavingRequested() ? Save(outcome) : null);
        }

        log($"{property.Id} {property.TestName}: {outcome.Tests} cases passed");
        if (outcome.Tests <= PropertyBudget.Default.MaxTest)
        {
            var earned = outcome.Classifications.Where(c => c.Count > 0).Select(c => c.Label).ToHashSet(StringComparer.Ordinal);
            var missing = property.RequiredLabels.Where(l => !earned.Contains(l)).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException($"{property.TestName}: the generated cases never reached {string.Join(", ", missing)}:\n{outcome.ClassificationTable()}");
            }
        }

        string table = outcome.ClassificationTable();
        if (table.Length > 0)
        {
            log(table);
        }

        return outcome;
    }

    /// <summary>Saves a failed outcome's shrunk case in the repository's regression store.</summary>
    /// <param name="outcome">A failed run.</param>
    /// <returns>The file written, or null when the case has no scenario form.</returns>
    public static string? Save(PropertyOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Scenario is { } scenario ? Execution.RegressionStore.Find().Save(scenario) : null;
    }
}
