using System.Globalization;
using Verify.Harness.Generators.GuestIommu;
using Verify.Harness.Layouts;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Lifecycle;

namespace Verify.Harness.Generators.EndToEnd;

/// <summary>One step of an end-to-end script: a memory transaction, a device life-cycle trigger, the global remapping
/// switch, a guest page-table request, or an invalidation. <see cref="ToString"/> reads like a line of a script.</summary>
public abstract record EndToEndStep
{
    private EndToEndStep()
    {
    }

    /// <summary>Simpler variants of this step (parameters only; dropping steps is the case shrinker's job).</summary>
    /// <returns>Candidates.</returns>
    public virtual IEnumerable<EndToEndStep> Shrink() => [];

    /// <summary>A memory transaction on the machine's system memory (PAM flip, BAR move, DIMM hot-add, ...).</summary>
    /// <param name="Operation">The change.</param>
    public sealed record MemoryTransaction(LayoutOperation Operation) : EndToEndStep
    {
        /// <inheritdoc/>
        public override IEnumerable<EndToEndStep> Shrink() => Operation.Shrink().Select(o => new MemoryTransaction(o));

        /// <inheritdoc/>
        public override string ToString() => $"memory: {Operation}";
    }

    /// <summary>A life-cycle trigger fired at the device in slot <see cref="Slot"/> (never the global remapping switch).</summary>
    /// <param name="Slot">The slot; its device is <c>dev{Slot}</c>.</param>
    /// <param name="Trigger">The trigger.</param>
    public sealed record DeviceStep(int Slot, DeviceTrigger Trigger) : EndToEndStep
    {
        /// <summary>The device's name.</summary>
        public string Device => EndToEndCase.DeviceName(Slot);

        /// <inheritdoc/>
        public override IEnumerable<EndToEndStep> Shrink() => Trigger.Kind switch
        {
            DeviceTriggerKind.SetContextDomain when Trigger.Domain > 1 => [this with { Trigger = DeviceTrigger.SetContextDomain(Trigger.Domain!.Value - 1) }],
            DeviceTriggerKind.SwitchDomain when Trigger.NewDomain > 1 =>
                [this with { Trigger = DeviceTrigger.SwitchDomain(Trigger.Domain!.Value, Trigger.NewDomain!.Value - 1) }],
            _ => [],
        };

        /// <inheritdoc/>
        public override string ToString() => $"{Device}: {Trigger}";
    }

    /// <summary>The guest flips DMA remapping (global: every slot's state changes).</summary>
    /// <param name="On">The new state.</param>
    public sealed record Remapping(bool On) : EndToEndStep
    {
        /// <summary>The life-cycle trigger this is in every slot.</summary>
        public DeviceTrigger AsTrigger => DeviceTrigger.Of(On ? DeviceTriggerKind.DmaRemappingOn : DeviceTriggerKind.DmaRemappingOff);

        /// <inheritdoc/>
        public override string ToString() => $"guest: DMA remapping {(On ? "on" : "off")}";
    }

    /// <summary>The guest maps or unmaps in a domain; a VT-d guest then invalidates the pages that changed.</summary>
    /// <param name="Domain">The domain.</param>
    /// <param name="Request">The request.</param>
    public sealed record GuestRequestStep(int Domain, GuestRequest Request) : EndToEndStep
    {
        /// <inheritdoc/>
        public override IEnumerable<EndToEndStep> Shrink()
        {
            if (Domain > 1)
            {
                yield return this with { Domain = 1 };
            }

            foreach (var r in Request.Shrink())
            {
                yield return this with { Request = r };
            }
        }

        /// <inheritdoc/>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"guest: domain {Domain} {Request}");
    }

    /// <summary>An extra invalidation on top of those every request carries; it must change nothing.</summary>
    /// <param name="Invalidation">What is invalidated.</param>
    public sealed record Invalidate(GuestInvalidation Invalidation) : EndToEndStep
    {
        /// <inheritdoc/>
        public override IEnumerable<EndToEndStep> Shrink() => Invalidation.Scope == InvalidationScope.Global ? [] : [new Invalidate(GuestInvalidation.Global)];

        /// <inheritdoc/>
        public override string ToString() => $"guest: invalidate {Invalidation}";
    }
}
