using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Verify.Harness.Generators.GuestIommu;
using Verify.Harness.Layouts;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.IommuModel.Lifecycle;

namespace Verify.Harness.Generators.EndToEnd;

/// <summary>
/// End-to-end scripts for VI-01, drawn step by step from the state reached so far: device triggers only from
/// <see cref="DeviceLifecycle.PermittedTriggers"/> of the slot's state (mdev pins and unpins with pages aimed at what
/// the device sees), the global remapping switch only when every slot permits it, guest requests aimed at what the domain
/// maps, and the machine's own memory transactions. The shrinker drops steps and shrinks their parameters, keeping
/// every candidate permitted.
/// </summary>
public static class EndToEndGenerators
{
    // vga.vram's guest physical page: a BAR the memory transactions move, and QEMU does not re-sync shadow mappings
    // whose target moves (docs/guest-iommu.md), so guest mappings never target it here.
    private const ulong StaleTargetPage = 0xfd000;

    /// <summary>The arbitrary of scripts, with its shrinker.</summary>
    /// <returns>The arbitrary.</returns>
    public static Arbitrary<EndToEndCase> Cases() => Arb.From(Gen.Sized(CaseGen), Shrink);

    /// <summary>Simpler scripts that are still permitted: shorter (halves, one or two steps dropped), plainer options,
    /// then each step's parameters shrunk.</summary>
    /// <param name="c">A failing script.</param>
    /// <returns>Candidates, most aggressive first.</returns>
    public static IEnumerable<EndToEndCase> Shrink(EndToEndCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return Candidates(c).Where(x => x.IsPermitted());
    }

    private static IEnumerable<EndToEndCase> Candidates(EndToEndCase c)
    {
        var steps = c.Steps;
        int n = steps.Length;
        if (n > 1)
        {
            yield return c with { Steps = steps[..(n / 2)] };
            yield return c with { Steps = steps[(n / 2)..] };
        }

        for (int i = n - 1; i >= 0; i--)
        {
            yield return c with { Steps = steps.RemoveAt(i) };
            if (i + 1 < n)
            {
                // A hotplug only goes away with the trigger that needs it.
                yield return c with { Steps = steps.RemoveRange(i, 2) };
            }
        }

        if (c.Switch != RemappingSwitch.TwoTransactions)
        {
            yield return c with { Switch = RemappingSwitch.TwoTransactions };
        }

        if (c.Listener != RamListenerKind.QemuToday)
        {
            yield return c with { Listener = RamListenerKind.QemuToday };
        }

        if (c.Kind != GuestIommuKind.VtD)
        {
            yield return c with { Kind = GuestIommuKind.VtD };
        }

        if (c.Accounting != AccountingMode.PerMapping)
        {
            yield return c with { Accounting = AccountingMode.PerMapping };
        }

        if (c.Memlock != MemlockLimitChoice.Unlimited)
        {
            yield return c with { Memlock = MemlockLimitChoice.Unlimited };
        }

        if (c.Machine != "pc")
        {
            yield return c with { Machine = "pc" };
        }

        for (int i = 0; i < n; i++)
        {
            foreach (var s in steps[i].Shrink())
            {
                yield return c with { Steps = steps.SetItem(i, s) };
            }
        }
    }

    private static Gen<EndToEndCase> CaseGen(int size) =>
        from machine in Gen.Elements("pc", "q35")
        from kind in Gen.Frequency((3, Gen.Constant(GuestIommuKind.VtD)), (1, Gen.Constant(GuestIommuKind.VirtioIommu)))
        from style in Gen.Elements(Enum.GetValues<RemappingSwitch>())
        from listener in Gen.Elements(Enum.GetValues<RamListenerKind>())
        from accounting in Gen.Elements(AccountingMode.PerMapping, AccountingMode.Shared)
        from memlock in Gen.Frequency(
            (3, Gen.Constant(MemlockLimitChoice.Unlimited)),
            (1, Gen.Constant(MemlockLimitChoice.Libvirt)),
            (1, Gen.Constant(MemlockLimitChoice.LibvirtLegacy)))
        from count in Gen.Choose(4, Math.Clamp(size / 2, 8, 30))
        let layout = machine == "q35" ? MachineLayout.Q35(EndToEndCase.RamMiB << 20) : MachineLayout.Pc(EndToEndCase.RamMiB << 20)
        from steps in Walk(layout, [.. Enumerable.Repeat(DeviceState.Initial, EndToEndCase.Slots)], ImmutableDictionary<int, ImmutableArray<GuestRequest>>.Empty, count, [])
        select new EndToEndCase(machine, kind, style, listener, accounting, memlock, steps);

    private static Gen<ImmutableArray<EndToEndStep>> Walk(
        MachineLayout layout, ImmutableArray<DeviceState> states, ImmutableDictionary<int, ImmutableArray<GuestRequest>> maps, int left, ImmutableArray<EndToEndStep> sofar)
    {
        if (left == 0)
        {
            return Gen.Constant(sofar);
        }

        var choices = new List<(int, Gen<EndToEndStep>)>
        {
            (2, LayoutGenerators.Operation(layout).Select(o => (EndToEndStep)new EndToEndStep.MemoryTransaction(o))),
            (3, GuestStep(maps)),
            // A redundant invalidation over populated tables is where a shadow sync that re-maps identical leaves shows.
            (maps.IsEmpty ? 1 : states.Any(d => d.Kind == DeviceStateKind.AttachedToDomain) ? 5 : 2, InvalidateStep(maps)),
        };
        var triggers = Triggers(states);
        if (triggers.Count > 0)
        {
            // Pick a (slot, kind) group first, then its parameters, so the nine domain switches do not crowd out the rest.
            // Context changes are where replay and shadow sync happen, so their groups weigh more.
            foreach (var group in triggers.GroupBy(t => t.ToString().Split('(')[0]))
            {
                int weight = group.First() switch
                {
                    EndToEndStep.DeviceStep { Trigger.Kind: DeviceTriggerKind.SetContextDomain or DeviceTriggerKind.SwitchDomain } => 6,
                    EndToEndStep.DeviceStep { Trigger.Kind: DeviceTriggerKind.SetContextPassthrough } => 3,
                    _ => 2,
                };
                choices.Add((weight, Gen.Elements(group.ToArray())));
            }
        }

        for (int slot = 0; slot < states.Length; slot++)
        {
            var permitted = DeviceLifecycle.Qemu.PermittedTriggers(states[slot]).Select(t => t.Kind).ToList();
            if (permitted.Contains(DeviceTriggerKind.MdevPin))
            {
                choices.Add((2, MdevStep(slot, states[slot], maps, sofar, unpin: false)));
            }

            if (permitted.Contains(DeviceTriggerKind.MdevUnpin))
            {
                choices.Add((2, MdevStep(slot, states[slot], maps, sofar, unpin: true)));
            }
        }

        return Gen.Frequency(choices).SelectMany(step =>
        {
            var next = EndToEndCase.Next(states, step) ?? states;
            var nextMaps = step is EndToEndStep.GuestRequestStep { Request.Unmap: false } g
                ? maps.SetItem(g.Domain, maps.GetValueOrDefault(g.Domain, []).Add(g.Request))
                : maps;
            return Walk(layout, next, nextMaps, left - 1, sofar.Add(step));
        });
    }

    private static List<EndToEndStep> Triggers(ImmutableArray<DeviceState> states)
    {
        var steps = new List<EndToEndStep>();
        for (int slot = 0; slot < states.Length; slot++)
        {
            foreach (var t in DeviceLifecycle.Qemu.PermittedTriggers(states[slot]))
            {
                if (t.Kind is not (DeviceTriggerKind.MdevPin or DeviceTriggerKind.MdevUnpin or DeviceTriggerKind.DmaRemappingOn or DeviceTriggerKind.DmaRemappingOff))
                {
                    steps.Add(new EndToEndStep.DeviceStep(slot, t));
                }
            }
        }

        foreach (bool on in new[] { true, false })
        {
            var step = new EndToEndStep.Remapping(on);
            if (EndToEndCase.Next(states, step) is not null)
            {
                steps.Add(step);
            }
        }

        return steps;
    }

    // Pins aim at what the device sees: a page the slot's domain maps, or low RAM (IOVA = guest physical) with
    // remapping off or in passthrough; sometimes the VGA hole or the interrupt window (EINVAL), no pages (EINVAL) or
    // more than 512 (E2BIG). Pins and unpins often repeat an earlier pin of the slot.
    private static Gen<EndToEndStep> MdevStep(int slot, DeviceState state, ImmutableDictionary<int, ImmutableArray<GuestRequest>> maps, ImmutableArray<EndToEndStep> sofar, bool unpin)
    {
        var aimed = new List<(int, Gen<ulong>)>
        {
            (1, Gen.Elements(0xa0UL, GuestIommuOptions.InterruptWindow.Start / 0x1000)),
        };
        if (state.Kind == DeviceStateKind.AttachedToDomain && maps.GetValueOrDefault(state.Domain ?? 0, []) is { Length: > 0 } mapped)
        {
            aimed.Add((6, from r in Gen.Elements(mapped.ToArray()) from k in Gen.Choose(0, (int)Math.Min(r.Pages - 1, 1024)) select r.IovaPage + (ulong)k));
        }
        else
        {
            aimed.Add((6, Gen.Choose(0x100, 0x3_ffff).Select(p => (ulong)p)));
        }

        var pages = Gen.Frequency((8, Gen.Choose(1, 4)), (1, Gen.Constant(0)), (1, Gen.Constant(513)));
        var fresh = from page in Gen.Frequency(aimed.ToArray())
                    from n in pages
                    from write in Gen.Elements(true, false)
                    select (EndToEndStep)new EndToEndStep.Mdev(slot, unpin, page, n, write && !unpin);
        var earlier = sofar.OfType<EndToEndStep.Mdev>().Where(m => m.Slot == slot && !m.Unpin).ToArray();
        // Pinning a page twice takes a second reference, which one unpin must not drop.
        return earlier.Length > 0
            ? Gen.Frequency((3, Gen.Elements(earlier).Select(m => (EndToEndStep)(m with { Unpin = unpin, Write = m.Write && !unpin }))), (2, fresh))
            : fresh;
    }

    private static Gen<EndToEndStep> GuestStep(ImmutableDictionary<int, ImmutableArray<GuestRequest>> maps)
    {
        var mapped = maps.SelectMany(kv => kv.Value.Select(r => (Domain: kv.Key, Request: r))).ToArray();
        var map = from domain in Gen.Frequency((4, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Constant(3)))
                  from r in GuestIommuGenerators.MapRequest.Where(r => r.GpaPage != StaleTargetPage)
                  select (EndToEndStep)new EndToEndStep.GuestRequestStep(domain, r);
        if (mapped.Length == 0)
        {
            return map;
        }

        var unmap = from m in Gen.Elements(mapped)
                    from r in GuestIommuGenerators.UnmapAimedAt(m.Request)
                    select (EndToEndStep)new EndToEndStep.GuestRequestStep(m.Domain, r);
        return Gen.Frequency((3, map), (2, unmap));
    }

    private static Gen<EndToEndStep> InvalidateStep(ImmutableDictionary<int, ImmutableArray<GuestRequest>> maps)
    {
        var mapped = maps.SelectMany(kv => kv.Value.Select(r => (Domain: kv.Key, Request: r))).ToArray();
        var options = new List<(int, Gen<GuestInvalidation>)>
        {
            (1, Gen.Constant(GuestInvalidation.Global)),
            (1, Gen.Choose(1, 3).Select(GuestInvalidation.OfDomain)),
        };
        if (mapped.Length > 0)
        {
            options.Add((2, Gen.Elements(mapped).Select(m => GuestInvalidation.OfPages(m.Domain, m.Request.Iova))));
        }

        return Gen.Frequency(options).Select(i => (EndToEndStep)new EndToEndStep.Invalidate(i));
    }
}
