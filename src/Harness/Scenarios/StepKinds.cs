using System.Collections.Immutable;

namespace Verify.Harness.Scenarios;

/// <summary>
/// Every step kind of format version 1, in the order docs/scenario-format.md documents them. The reader finds a
/// step's codec here by its JSON key, the writer by the step's record; adding a step kind is its file (record, codec,
/// <see cref="ScenarioStep.Run"/>) and one line here.
/// </summary>
public static class StepKinds
{
    /// <summary>The codecs, one per JSON key.</summary>
    public static ImmutableArray<StepCodec> All { get; } =
    [
        RootStep.Codec,
        LayoutStep.Codec,
        DefineStep.Codec,
        PlaceStep.Codec,
        UnplaceStep.Codec,
        MoveStep.Codec,
        SetStep.Codec,
        MachineStep.Pam,
        MachineStep.Bar,
        MachineStep.BarMove,
        MachineStep.RomMode,
        MachineStep.Dimm,
        MachineStep.VirtioMem,
        CommitStep.Codec,
        ViewStep.Codec,
        ObserverStep.Codec,
        MtreeDumpStep.Codec,
        ListenerStep.Codec,
        ProcessStep.Codec,
        ContainerStep.Codec,
        HotplugStep.Codec,
        UnplugStep.Codec,
        MapStep.Codec,
        UnmapStep.Codec,
        UnmapAllStep.Codec,
        MdevDeviceStep.Codec,
        PinStep.Codec,
        UnpinStep.Codec,
        MapDmaStep.Codec,
        UnmapDmaStep.Codec,
        DmaAccessStep.Codec,
        MigrateStep.Codec,
        CloseStep.Codec,
        PageTableStep.Codec,
        PageTableMapStep.Codec,
        PageTableUnmapStep.Codec,
        PageTableSyncStep.Codec,
        PageTableFlushStep.Codec,
        PageTableAccessStep.Codec,
        PageTableTouchStep.Codec,
        ViommuStep.Codec,
        GuestHotplugStep.Codec,
        GuestUnplugStep.Codec,
        RemappingStep.Codec,
        ContextStep.Codec,
        GuestMapStep.Codec,
        GuestUnmapStep.Codec,
        GuestInvalidateStep.Codec,
        GuestPinStep.Codec,
        GuestUnpinStep.Codec,
        LifecycleStep.Codec,
    ];

    private static readonly Lazy<IReadOnlyDictionary<string, StepCodec>> ByKind = new(() => All.ToDictionary(c => c.Kind, StringComparer.Ordinal));

    /// <summary>Every JSON key, in documented order.</summary>
    public static ImmutableArray<string> Names { get; } = [.. All.Select(c => c.Kind)];

    /// <summary>The codec of a JSON key.</summary>
    /// <param name="kind">A key.</param>
    /// <param name="codec">Its codec.</param>
    /// <returns>Whether the key is a step kind.</returns>
    public static bool TryGet(string kind, out StepCodec codec) => ByKind.Value.TryGetValue(kind, out codec!);

    /// <summary>The codec that writes <paramref name="step"/>.</summary>
    /// <param name="step">A step.</param>
    /// <returns>Its codec.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No codec writes it.</exception>
    public static StepCodec For(ScenarioStep step) =>
        All.FirstOrDefault(c => c.Writes(step)) ?? throw new ArgumentOutOfRangeException(nameof(step), step, "has no scenario form");
}
