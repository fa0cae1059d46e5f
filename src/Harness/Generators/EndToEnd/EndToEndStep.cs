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

    /// <summary>The device in slot <see cref="Slot"/>, as an mdev, pins or unpins pages of its own container at IOVAs as
    /// it sees them (the life cycle's <see cref="DeviceTriggerKind.MdevPin"/> / <see cref="DeviceTriggerKind.MdevUnpin"/>).</summary>
    /// <param name="Slot">The slot; its device is <c>dev{Slot}</c>.</param>
    /// <param name="Unpin">Whether it unpins.</param>
    /// <param name="IovaPage">First IOVA, in 4 KiB pages.</param>
    /// <param name="Pages">Pages (0 and more than 512 are the kernel's EINVAL and E2BIG).</param>
    /// <param name="Write">Whether a pin asks for write access.</param>
    public sealed record Mdev(int Slot, bool Unpin, ulong IovaPage, int Pages, bool Write) : EndToEndStep
    {
        /// <summary>The device's name.</summary>
        public string Device => EndToEndCase.DeviceName(Slot);

        /// <summary>The IOVA of the first page.</summary>
        public ulong Iova => IovaPage * 0x1000;

        /// <summary>The life-cycle trigger this is.</summary>
        public DeviceTrigger AsTrigger => DeviceTrigger.Of(Unpin ? DeviceTriggerKind.MdevUnpin : DeviceTriggerKind.MdevPin);

        /// <inheritdoc/>
        public override IEnumerable<EndToEndStep> Shrink()
        {
            if (Pages > 1)
            {
                yield return this with { Pages = 1 };
            }

            if (Write)
            {
                yield return this with { Write = false };
            }
        }

        /// <inheritdoc/>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Device}: mdev {(Unpin ? "unpin" : "pin")} iova 0x{Iova:x} x{Pages}{(Unpin ? "" : Write ? " rw" : " r")}");
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
