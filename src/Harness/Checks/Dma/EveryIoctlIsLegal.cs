using Verify.Harness.Implementations;

namespace Verify.Harness.Checks.Dma;

/// <summary>DL-02 (docs/semantics.md 3, 5.1-5.2): every ioctl a container received gives what the kernel's rules give from
/// the mappings it held (no overlapping MAP, no bisecting UNMAP under type1 v2, the valid IOVA range, the memlock
/// limit), and every ioctl a planning listener issued succeeded unless the host refused it.</summary>
public sealed class EveryIoctlIsLegal() : ScenarioCheck("DL-02")
{
    /// <inheritdoc/>
    public override void After(CheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dma = context.Machine.Dma;
        foreach (var c in dma.Containers.Values)
        {
            var before = dma.Step.Before.GetValueOrDefault(c.Name);
            if (before is not null && c.Backend.Calls.Count > before.Calls)
            {
                DmaProbes.ExpectLegal(context, dma, c, "");
            }

            if (c.Listener?.Listener is IPlanningListener planning && before is not null)
            {
                foreach (var f in planning.Failures.Skip(before.Failures).Where(f => !Hosts.DmaHost.IsHostRefusal(f.Result)))
                {
                    context.Expect(false, () => $"{c.Name}: the coalescing listener's ioctl was refused: {f}");
                }
            }
        }
    }
}
