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
    public static PropertyOutcome Holds(PropertyDefinition property, Action<string> log) => Holds(property, Implementations.ImplementationUnderTest.Model, log);

    /// <summary>
    /// Runs <paramref name="property"/> against a user's <paramref name="implementation"/> with the environment's budget
    /// (<c>VERIFY_MAX_TEST</c>, <c>VERIFY_SEED</c>, <c>VERIFY_REPLAY</c>), as <see cref="Holds(PropertyDefinition, Action{string})"/>
    /// runs it against the library's models: the same generators, shrinking, scenario form and replay line. With
    /// <c>VERIFY_SAVE=1</c> the shrunk case is saved under <paramref name="saveDirectory"/> (one folder per suite), or under
    /// the DmaVerify repository's <c>tests/Regressions/Cases</c> when that is null.
    /// </summary>
    /// <param name="property">A property that judges the implementation (<see cref="PropertyCatalogue.Judging"/>).</param>
    /// <param name="implementation">The implementation (<see cref="Implementations.ImplementationUnderTest.Named"/> and its
    /// <c>With</c> methods).</param>
    /// <param name="log">Where the classification table goes (an xunit test output).</param>
    /// <param name="saveDirectory">Where <c>VERIFY_SAVE=1</c> saves shrunk failures, or null.</param>
    /// <returns>The passing outcome.</returns>
    /// <exception cref="PropertyFailedException">A case failed; the message holds the shrunk case as a scenario.</exception>
    public static PropertyOutcome Holds(PropertyDefinition property, Implementations.ImplementationUnderTest implementation, Action<string> log, string? saveDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(property);
        ArgumentNullException.ThrowIfNull(implementation);
        ArgumentNullException.ThrowIfNull(log);
        var outcome = PropertyRunner.Run(property, PropertyBudget.FromEnvironment(), null, implementation);
        if (!outcome.Passed)
        {
            string? saved = null;
            if (Execution.RegressionStore.SavingRequested())
            {
                saved = saveDirectory is null ? Save(outcome) : outcome.Scenario is { } scenario ? Execution.RegressionStore.In(saveDirectory).Save(scenario) : null;
            }

            throw new PropertyFailedException(outcome, saved);
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
