using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Verify.Harness.Layouts;
using Verify.IommuModel.GuestIommu;
using Verify.IommuModel.Host;
using Verify.IommuModel.PageTables;
using Verify.IommuModel.Type1;
using Verify.MemoryMap.Dma;
using Verify.MemoryMap.Flat;
using Verify.MemoryMap.Regions;

namespace Verify.Harness.Scenarios;

/// <summary>
/// Writes the scenario format: two-space indented, fields in a fixed order, defaults left out, every 64-bit
/// value as a hex string, a final newline. The same scenario always gives the same bytes, so a saved case diffs
/// cleanly and its hash (<see cref="RegressionStore"/>) names its content.
/// </summary>
public static class ScenarioWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The scenario as JSON text.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <returns>The text, ending with a newline.</returns>
    public static string Write(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return Emit(w =>
        {
            w.WriteStartObject();
            w.WriteString("format", Scenario.FormatName);
            w.WriteNumber("version", scenario.Version);
            var h = scenario.Header;
            WriteOptional(w, "title", h.Title);
            WriteOptional(w, "suite", h.Suite);
            WriteOptional(w, "property", h.Property);
            WriteOptional(w, "replay", h.Replay);
            WriteStepArray(w, scenario);
            w.WriteEndObject();
        });
    }

    /// <summary>The steps alone, the same way: what <see cref="RegressionStore"/> hashes, so one failure found from
    /// two seeds is one file.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <returns>The text.</returns>
    public static string WriteSteps(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return Emit(w =>
        {
            w.WriteStartObject();
            WriteStepArray(w, scenario);
            w.WriteEndObject();
        });
    }

    private static string Emit(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            body(w);
        }

        // Utf8JsonWriter indents with the platform's newline; a committed file has \n on every system.
        return Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    private static void WriteStepArray(Utf8JsonWriter w, Scenario scenario)
    {
        w.WriteStartArray("steps");
        foreach (var step in scenario.Steps)
        {
            w.WriteStartObject();
            w.WriteStartObject(step.Kind);
            WriteBody(w, step);
            w.WriteEndObject();
            if (!step.Expect.IsEmpty)
            {
                WriteExpectations(w, step.Expect);
            }

            WriteOptional(w, "note", step.Note);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteBody(Utf8JsonWriter w, ScenarioStep step)
    {
        switch (step)
        {
            case RootStep s:
                w.WriteString("name", s.Name);
                break;
            case LayoutStep s:
                w.WriteString("machine", s.Machine);
                Number(w, "ram", s.Ram);
                break;
            case DefineStep s:
                WriteRegion(w, s.Region);
                break;
            case PlaceStep s:
                w.WriteString("child", s.Child);
                w.WriteString("parent", s.Parent);
                Number(w, "address", s.Address);
                if (s.Priority != 0) { w.WriteNumber("priority", s.Priority); }
                break;
            case UnplaceStep s:
                w.WriteString("region", s.Region);
                break;
            case MoveStep s:
                w.WriteString("region", s.Region);
                Number(w, "address", s.Address);
                break;
            case SetStep s:
                w.WriteString("region", s.Region);
                if (s.Enabled is { } en) { w.WriteBoolean("enabled", en); }
                if (s.ReadOnly is { } ro) { w.WriteBoolean("readonly", ro); }
                if (s.NonVolatile is { } nv) { w.WriteBoolean("nonvolatile", nv); }
                if (s.Unmergeable is { } um) { w.WriteBoolean("unmergeable", um); }
                if (s.DirtyLogMask is { } d) { w.WriteNumber("dirty", d); }
                if (s.RomdMode is { } romd) { w.WriteBoolean("romd", romd); }
                if (s.AliasOffset is { } o) { Number(w, "alias-offset", o); }
                break;
            case MachineStep s:
                WriteMachine(w, s.Operation);
                break;
            case CommitStep:
                break;
            case ViewStep s:
                w.WriteStartArray("ranges");
                foreach (var r in s.Ranges)
                {
                    WriteFlatRange(w, r);
                }

                w.WriteEndArray();
                break;
            case ListenerStep s:
                w.WriteString("name", s.Name);
                w.WriteString("kind", s.Listener == ListenerKind.Naive ? "naive" : "coalescing");
                if (s.Options.HostPageSize != 0x1000) { Number(w, "host-page", s.Options.HostPageSize); }
                if (s.Options.IommuMinPageSize != 0x1000) { Number(w, "iommu-page", s.Options.IommuMinPageSize); }
                if (s.Listener == ListenerKind.Coalescing)
                {
                    w.WriteString("granularity", s.Granularity);
                    if (s.Granularity == "fixed-granule") { Number(w, "granule", s.Granule); }
                }

                break;
            case ProcessStep s:
                w.WriteString("name", s.Name);
                if (s.Rlimit is { } rlimit) { Number(w, "rlimit", rlimit); }
                if (s.CapIpcLock) { w.WriteBoolean("cap-ipc-lock", true); }
                Objects(w, "memory", s.Memory, run =>
                {
                    Number(w, "hva", run.Hva);
                    Number(w, "size", run.Size);
                    Number(w, "hpa", run.Hpa);
                });
                Objects(w, "reserved", s.Reserved, r =>
                {
                    Number(w, "hpa", r.Hpa);
                    Number(w, "size", r.Size);
                });
                break;
            case ContainerStep s:
                WriteContainer(w, s);
                break;
            case HotplugStep s:
                w.WriteString("container", s.Container);
                w.WriteString("listener", s.Listener);
                break;
            case UnplugStep s:
                w.WriteString("container", s.Container);
                break;
            case MapStep s:
                w.WriteString("container", s.Container);
                Number(w, "iova", s.Mapping.Iova.Start);
                Number(w, "size", s.Mapping.Iova.Size);
                w.WriteString("region", s.Mapping.Region);
                Number(w, "offset", s.Mapping.Offset);
                w.WriteBoolean("writable", s.Mapping.Writable);
                break;
            case UnmapStep s:
                w.WriteString("container", s.Container);
                Number(w, "iova", s.Iova.Start);
                Number(w, "size", s.Iova.Size);
                break;
            case UnmapAllStep s:
                w.WriteString("container", s.Container);
                break;
            case DeviceStep s:
                w.WriteString("container", s.Container);
                w.WriteString("name", s.Name);
                w.WriteString("callback", ScenarioReader.NameOf(ScenarioReader.Callbacks, s.Callback));
                break;
            case PinStep s:
                w.WriteString("container", s.Container);
                w.WriteString("device", s.Device);
                Number(w, "iova", s.Iova);
                w.WriteNumber("npage", s.Npage);
                if (s.Prot != Protection.ReadWrite) { w.WriteString("prot", ScenarioReader.NameOf(ScenarioReader.Protections, s.Prot)); }
                break;
            case UnpinStep s:
                w.WriteString("container", s.Container);
                w.WriteString("device", s.Device);
                Number(w, "iova", s.Iova);
                w.WriteNumber("npage", s.Npage);
                break;
            case MapDmaStep s:
                w.WriteString("container", s.Container);
                if (s.Flags != (Type1MapFlags.Read | Type1MapFlags.Write)) { w.WriteString("flags", ScenarioReader.MapFlagsName(s.Flags)); }
                Number(w, "iova", s.Iova);
                Number(w, "vaddr", s.Vaddr);
                Number(w, "size", s.Size);
                break;
            case UnmapDmaStep s:
                w.WriteString("container", s.Container);
                if (s.Flags != Type1UnmapFlags.None) { w.WriteString("flags", ScenarioReader.UnmapFlagsName(s.Flags)); }
                if (s.Iova != 0) { Number(w, "iova", s.Iova); }
                if (s.Size != 0) { Number(w, "size", s.Size); }
                break;
            case DmaAccessStep s:
                w.WriteString("container", s.Container);
                Number(w, "iova", s.Iova);
                break;
            case MigrateStep s:
                w.WriteString("process", s.Process);
                Number(w, "hva", s.Hva);
                Number(w, "size", s.Size);
                Number(w, "to", s.To);
                break;
            case PageTableStep s:
                WritePageTable(w, s);
                break;
            case PageTableMapStep s:
                w.WriteString("table", s.Table);
                Number(w, "iova", s.Iova);
                Number(w, "paddr", s.Paddr);
                Number(w, "size", s.Size);
                if (s.Protection != Protection.ReadWrite) { w.WriteString("prot", ScenarioReader.NameOf(ScenarioReader.Protections, s.Protection)); }
                break;
            case PageTableUnmapStep s:
                w.WriteString("table", s.Table);
                Number(w, "iova", s.Iova);
                Number(w, "size", s.Size);
                break;
            case PageTableSyncStep s:
                w.WriteString("table", s.Table);
                break;
            case PageTableFlushStep s:
                w.WriteString("table", s.Table);
                break;
            case PageTableAccessStep s:
                w.WriteString("table", s.Table);
                Number(w, "iova", s.Iova);
                break;
            case GuestIommuStep s:
                WriteGuestIommu(w, s);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(step), step, "has no scenario form");
        }
    }

    private static void WriteGuestIommu(Utf8JsonWriter w, GuestIommuStep step)
    {
        switch (step)
        {
            case ViommuStep s:
                w.WriteString("kind", ScenarioReader.NameOf(ScenarioReader.GuestIommuKinds, s.Options.Kind));
                if (s.Options.Kind == GuestIommuKind.VtD && !s.Options.CachingMode) { w.WriteBoolean("caching-mode", false); }
                if (s.Options.Switch != RemappingSwitch.TwoTransactions) { w.WriteString("switch", ScenarioReader.NameOf(ScenarioReader.Switches, s.Options.Switch)); }
                if (s.Options.Listener != RamListenerKind.QemuToday) { w.WriteString("listener", ScenarioReader.NameOf(ScenarioReader.RamListeners, s.Options.Listener)); }
                if (s.Accounting != AccountingMode.PerMapping) { w.WriteString("accounting", ScenarioReader.AccountingName(s.Accounting)); }
                if (s.Process != ViommuStep.DefaultProcess) { w.WriteString("process", s.Process); }
                if (s.Memlock is { } rule)
                {
                    w.WritePropertyName("memlock");
                    WriteMemlockRule(w, rule);
                }

                break;
            case GuestHotplugStep s:
                w.WriteString("device", s.Device);
                break;
            case GuestUnplugStep s:
                w.WriteString("device", s.Device);
                break;
            case RemappingStep s:
                w.WriteBoolean("on", s.On);
                break;
            case ContextStep s:
                w.WriteString("device", s.Device);
                w.WriteString("entry", s.Entry.Kind.ToString().ToLowerInvariant());
                if (s.Entry.Kind == ContextKind.Domain) { w.WriteNumber("domain", s.Entry.Domain); }
                break;
            case GuestMapStep s:
                w.WriteNumber("domain", s.Domain);
                Number(w, "iova", s.Iova.Start);
                Number(w, "size", s.Iova.Size);
                Number(w, "gpa", s.Gpa);
                if (!s.Writable) { w.WriteBoolean("writable", false); }
                break;
            case GuestUnmapStep s:
                w.WriteNumber("domain", s.Domain);
                Number(w, "iova", s.Iova.Start);
                Number(w, "size", s.Iova.Size);
                break;
            case GuestPinStep s:
                w.WriteString("device", s.Device);
                Number(w, "iova", s.Iova);
                w.WriteNumber("npage", s.Npage);
                if (!s.Write) { w.WriteString("prot", "r"); }
                break;
            case GuestUnpinStep s:
                w.WriteString("device", s.Device);
                Number(w, "iova", s.Iova);
                w.WriteNumber("npage", s.Npage);
                break;
            case GuestInvalidateStep s:
                var i = s.Invalidation;
                w.WriteString("scope", ScenarioReader.NameOf(ScenarioReader.InvalidationScopes, i.Scope));
                if (i.Scope != InvalidationScope.Global) { w.WriteNumber("domain", i.Domain); }
                if (i.Scope == InvalidationScope.Pages)
                {
                    Number(w, "iova", i.Range.Start);
                    Number(w, "size", i.Range.Size);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(step), step, "has no scenario form");
        }
    }

    private static void WriteRegion(Utf8JsonWriter w, MemoryRegion r)
    {
        w.WriteString("name", r.Name);
        w.WriteString("kind", KindName(r.Kind));
        Number(w, "size", r.Size);
        if (r.Kind == RegionKind.Alias)
        {
            w.WriteString("target", r.AliasTarget);
            if (r.AliasOffset != 0) { Number(w, "offset", r.AliasOffset); }
        }

        if (!r.Enabled) { w.WriteBoolean("enabled", false); }
        if (r.ReadOnly != (r.Kind == RegionKind.Rom)) { w.WriteBoolean("readonly", r.ReadOnly); }
        if (r.NonVolatile) { w.WriteBoolean("nonvolatile", true); }
        if (r.Unmergeable) { w.WriteBoolean("unmergeable", true); }
        if (r.DirtyLogMask != 0) { w.WriteNumber("dirty", r.DirtyLogMask); }
        if (!r.RomdMode) { w.WriteBoolean("romd", false); }
    }

    private static void WriteFlatRange(Utf8JsonWriter w, FlatRange r)
    {
        w.WriteStartObject();
        Number(w, "start", r.Range.Start);
        Number(w, "end", r.Range.End);
        w.WriteString("region", r.Region);
        w.WriteString("kind", KindName(r.Kind));
        if (r.OffsetInRegion != 0) { Number(w, "offset", r.OffsetInRegion); }
        if (r.ReadOnly) { w.WriteBoolean("readonly", true); }
        if (r.NonVolatile) { w.WriteBoolean("nonvolatile", true); }
        if (!r.RomdMode) { w.WriteBoolean("romd", false); }
        if (r.DirtyLogMask != 0) { w.WriteNumber("dirty", r.DirtyLogMask); }
        if (r.Unmergeable) { w.WriteBoolean("unmergeable", true); }
        if (r.Priority != 0) { w.WriteNumber("priority", r.Priority); }
        w.WriteEndObject();
    }

    private static void WriteMachine(Utf8JsonWriter w, LayoutOperation op)
    {
        switch (op)
        {
            case LayoutOperation.SetPam p:
                w.WriteNumber("segment", p.Segment);
                w.WriteString("mode", ScenarioReader.PamModes.First(m => m.Value == p.Mode).Key);
                break;
            case LayoutOperation.SetBarEnabled b:
                w.WriteString("bar", b.Bar);
                w.WriteBoolean("enabled", b.Enabled);
                break;
            case LayoutOperation.MoveBar b:
                w.WriteString("bar", b.Bar);
                Number(w, "address", b.Address);
                break;
            case LayoutOperation.SetRomMode r:
                w.WriteString("device", r.Device);
                w.WriteBoolean("romd", r.RomMode);
                break;
            case LayoutOperation.HotAddDimm d:
                w.WriteNumber("slot", d.Slot);
                break;
            case LayoutOperation.SetVirtioMemBlock v:
                w.WriteNumber("block", v.Block);
                w.WriteBoolean("plugged", v.Plugged);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "has no scenario form");
        }
    }

    private static void WriteContainer(Utf8JsonWriter w, ContainerStep s)
    {
        w.WriteString("name", s.Name);
        WriteTraits(w, s.Backend);
        if (!s.IsType1)
        {
            return;
        }

        if (s.Process != ContainerStep.DefaultProcess) { w.WriteString("process", s.Process); }
        if (s.Version != Type1Version.V2) { w.WriteString("version", ScenarioReader.NameOf(ScenarioReader.Versions, s.Version)); }
        if (s.Accounting != AccountingMode.PerMapping) { w.WriteString("accounting", ScenarioReader.AccountingName(s.Accounting)); }
        if (s.PageSize is { } page) { Number(w, "page-size", page); }
        if (!s.Domains.IsEmpty && s.Splits.IsEmpty) { Strings(w, "domains", s.Domains.Select(d => d.Name)); }
        if (!s.Splits.IsEmpty)
        {
            Objects(w, "domains", s.Domains.Zip(s.Splits), d =>
            {
                w.WriteString("format", d.First.Name);
                if (d.Second != SplitPolicy.Split) { w.WriteString("split", ScenarioReader.NameOf(ScenarioReader.SplitPolicies, d.Second)); }
            });
        }

        Objects(w, "valid-iova", s.ValidIova, r =>
        {
            Number(w, "start", r.Start);
            Number(w, "end", r.End);
        });
        if (s.WrapErrno != MemoryMap.Errno.EOVERFLOW) { w.WriteString("wrap-errno", s.WrapErrno.ToString()); }
    }

    private static void WritePageTable(Utf8JsonWriter w, PageTableStep s)
    {
        var o = s.Options;
        var d = PageTableOptions.Default;
        w.WriteString("name", s.Name);
        w.WriteString("format", o.Format.Name);
        if (o.Split != d.Split) { w.WriteString("split", ScenarioReader.NameOf(ScenarioReader.SplitPolicies, o.Split)); }
        if (o.LiveLeaf != d.LiveLeaf) { w.WriteString("live-leaf", ScenarioReader.NameOf(ScenarioReader.LiveLeafPolicies, o.LiveLeaf)); }
        if (o.SubTable != d.SubTable) { w.WriteString("sub-table", ScenarioReader.NameOf(ScenarioReader.SubTablePolicies, o.SubTable)); }
        if (o.Invalidation != d.Invalidation) { w.WriteString("invalidation", ScenarioReader.NameOf(ScenarioReader.InvalidationModes, o.Invalidation)); }
        if (o.Flush != d.Flush) { w.WriteString("flush", ScenarioReader.NameOf(ScenarioReader.FlushModes, o.Flush)); }
        if (o.WholeDomainThreshold != d.WholeDomainThreshold) { w.WriteNumber("threshold", o.WholeDomainThreshold); }
        if (o.MaxTablePages is { } max) { w.WriteNumber("max-table-pages", max); }
    }

    private static void WriteTraits(Utf8JsonWriter w, DmaBackendTraits t)
    {
        if (t.UnmapMayBisect) { w.WriteBoolean("bisect", true); }
        if (!t.SupportsUnmapAll) { w.WriteBoolean("unmap-all", false); }
        if (t.EntryLimit != DmaBackendTraits.DefaultEntryLimit) { w.WriteNumber("entry-limit", t.EntryLimit); }
    }

    private static void WriteExpectations(Utf8JsonWriter w, StepExpectations e)
    {
        w.WriteStartObject("expect");
        if (e.Ranges is { } ranges)
        {
            Strings(w, "ranges", ranges);
        }

        if (e.Errno is { } errno) { w.WriteString("errno", errno == MemoryMap.Errno.None ? "none" : errno.ToString()); }
        if (e.Size is { } size) { Number(w, "size", size); }
        if (!e.Translations.IsEmpty)
        {
            w.WriteStartArray("translations");
            foreach (var t in e.Translations)
            {
                w.WriteStartObject();
                w.WriteString(t.OfPageTable ? "table" : t.OfDevice ? "device" : "container", t.Target);
                Number(w, "iova", t.Iova);
                if (t.To is null) { w.WriteNull("to"); } else { w.WriteString("to", t.To); }
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (!e.Ioctls.IsEmpty)
        {
            w.WriteStartObject("ioctls");
            foreach (var (name, count) in e.Ioctls) { w.WriteNumber(name, count); }
            w.WriteEndObject();
        }

        if (!e.Collateral.IsEmpty)
        {
            w.WriteStartObject("collateral");
            foreach (var (name, bytes) in e.Collateral) { Number(w, name, bytes); }
            w.WriteEndObject();
        }

        if (!e.Mappings.IsEmpty)
        {
            w.WriteStartObject("mappings");
            foreach (var (name, list) in e.Mappings) { Strings(w, name, list); }
            w.WriteEndObject();
        }

        PerName(w, "leaves", e.Leaves, (name, list) => Strings(w, name, list));
        PerName(w, "stale", e.Stale, (name, list) => Strings(w, name, list));
        PerName(w, "locked-vm", e.LockedVm, (name, bytes) => Number(w, name, bytes));
        PerName(w, "pinned", e.Pinned, (name, pages) => w.WriteNumber(name, pages));
        if (e.Pfns is { } pfns) { Strings(w, "pfns", pfns.Select(p => ScenarioNumbers.Format(p))); }
        if (e.KernelBug is { } bug) { w.WriteBoolean("kernel-bug", bug); }
        PerName(w, "external-pins", e.ExternalPins, (name, list) => Strings(w, name, list));
        PerName(w, "memlock-limit", e.MemlockLimit, (name, rule) =>
        {
            w.WritePropertyName(name);
            WriteMemlockRule(w, rule);
        });
        if (e.Refused is { } refused) { w.WriteString("refused", ScenarioReader.NameOf(ScenarioReader.Refusals, refused)); }

        w.WriteEndObject();
    }

    private static void WriteMemlockRule(Utf8JsonWriter w, MemlockRule rule)
    {
        w.WriteStartObject();
        w.WriteString("rule", rule.Rule);
        Number(w, "guest-ram", rule.GuestRam);
        w.WriteNumber("vfio-devices", rule.VfioDevices);
        w.WriteBoolean("viommu", rule.Viommu);
        w.WriteEndObject();
    }

    private static void PerName<T>(Utf8JsonWriter w, string field, IReadOnlyDictionary<string, T> values, Action<string, T> write)
    {
        if (values.Count == 0)
        {
            return;
        }

        w.WriteStartObject(field);
        foreach (var (name, value) in values)
        {
            write(name, value);
        }

        w.WriteEndObject();
    }

    private static void Objects<T>(Utf8JsonWriter w, string name, IEnumerable<T> values, Action<T> write)
    {
        var list = values.ToList();
        if (list.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var v in list)
        {
            w.WriteStartObject();
            write(v);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, string name, UInt128 value) => w.WriteString(name, ScenarioNumbers.Format(value));

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    internal static string KindName(RegionKind kind) => ScenarioReader.RegionKinds.First(k => k.Value == kind).Key;
}
