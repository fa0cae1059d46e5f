using System.Globalization;
using System.Net;
using System.Text;
using Verify.Harness.Dma;
using Verify.MemoryMap;
using Verify.MemoryMap.Flat;
using Verify.Vfio;

namespace Verify.Cli;

/// <summary>
/// A transaction as one self-contained HTML page: an SVG of the address space before and after, each listener's
/// MAP/UNMAP calls drawn on it one lane per call in the order issued, and its DMA windows (pages unmapped while their
/// translation was unchanged) as orange bands from the call that removed them to the one that mapped them back.
/// </summary>
/// <remarks>
/// <para>The axis is by boundaries, not bytes: every address where a range, call or window starts or ends is a tick,
/// and the span between two ticks is as wide as the logarithm of its size. A 4 KiB page next to the 2^64 top of a
/// container stays visible, and the wheel (or the buttons) zooms into it.</para>
/// <para>Every drawn rectangle carries its range as <c>data-start</c>/<c>data-end</c>; on load the page writes each
/// one's box as laid out by the browser into <c>#geometry</c>, so a headless browser check compares geometry with the
/// data (.ci/browser-check), not pixels.</para>
/// </remarks>
/// <param name="Name">The lane's name (a listener, a trace burst).</param>
/// <param name="Summary">One line over its calls: what it is and what it cost.</param>
/// <param name="Calls">The MAP/UNMAP calls in the order issued.</param>
/// <param name="Windows">Its DMA windows, by call index.</param>
internal sealed record PictureRow(string Name, string Summary, System.Collections.Immutable.ImmutableArray<DmaOperation> Calls, System.Collections.Immutable.ImmutableArray<CollateralWindow> Windows)
{
    /// <summary>A listener's row of <c>verify diff</c>.</summary>
    /// <param name="row">The listener's plan.</param>
    /// <returns>The row.</returns>
    public static PictureRow Of(ListenerRow row) => new(row.Name,
        string.Create(CultureInfo.InvariantCulture, $"{row.Name}: {row.Plan.Ioctls} ioctls, collateral 0x{row.Plan.CollateralBytes:x} bytes, largest window {row.Plan.LargestWindow}: {row.Description}"),
        row.Plan.Operations, row.Windows);
}

/// <summary>Draws <see cref="PictureRow"/>s over the views they change.</summary>
internal static class TransactionPicture
{
    private const double Left = 170;
    private const double Width = 1000;
    private const double Band = 26;
    private const double Lane = 14;

    /// <summary>The page.</summary>
    /// <param name="title">What the page shows, for its heading (the two files and the address space).</param>
    /// <param name="views">The views drawn as bands on top ("before", "after"); may be empty (a trace has none).</param>
    /// <param name="rows">The lanes of calls.</param>
    /// <returns>The HTML text.</returns>
    public static string Html(string title, IReadOnlyList<(string Lane, FlatView View)> views, IReadOnlyList<PictureRow> rows)
    {
        var axis = Axis.Of(views.Select(v => v.View), rows);
        var svg = new StringBuilder();
        double y = 34;
        foreach (var (lane, view) in views)
        {
            y = DrawView(svg, axis, lane, view, y + 6);
        }

        foreach (var row in rows)
        {
            y = DrawRow(svg, axis, row, y + 22);
        }

        double height = y + 70;
        DrawTicks(svg, axis, height - 60);
        var page = new StringBuilder();
        page.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}}</title>
            <style>
              body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
              svg { border: 1px solid #ccc; background: #fff; cursor: grab; }
              svg text { font: 11px ui-monospace, monospace; }
              .ram { fill: #7aa6e0; } .ro { fill: #b8a1e3; } .io { fill: #cfcfcf; } .other { fill: #e0c27a; }
              .map { fill: #3c9b4a; } .unmap { fill: #d2413a; } .window { fill: #ff9d1c; fill-opacity: .45; stroke: #d97a00; }
              .label { fill: #222; } .tick { stroke: #ddd; } .legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; border-radius: 3px; }
            </style></head><body>
            <h1 style="font-size:16px">{{E(title)}}</h1>
            <p class="legend"><span class="ram" style="background:#7aa6e0">RAM</span><span style="background:#b8a1e3">read-only</span><span style="background:#cfcfcf">MMIO</span><span style="background:#3c9b4a;color:#fff">MAP</span><span style="background:#d2413a;color:#fff">UNMAP</span><span style="background:#ffce8a">DMA window: unchanged translation, unmapped</span>
            <button id="zoom-in">zoom in</button> <button id="zoom-out">zoom out</button> <button id="zoom-reset">reset</button> (wheel zooms, drag pans; the axis is by boundaries, each span as wide as the log of its size)</p>
            <svg id="picture" xmlns="http://www.w3.org/2000/svg" width="{{Left + Width + 90}}" height="{{height}}" viewBox="0 0 {{Left + Width + 90}} {{height}}">
            {{svg}}</svg>
            <script type="application/json" id="geometry"></script>
            <script>
            (function () {
              const svg = document.getElementById('picture');
              const full = { x: 0, w: {{Left + Width + 90}}, h: {{height}} };
              let view = { x: full.x, w: full.w };
              function apply() { svg.setAttribute('viewBox', view.x + ' 0 ' + view.w + ' ' + full.h); }
              function zoom(factor, at) { const nw = Math.min(full.w, Math.max(20, view.w / factor)); view.x = Math.max(0, Math.min(full.w - nw, at - (at - view.x) * nw / view.w)); view.w = nw; apply(); }
              document.getElementById('zoom-in').onclick = () => zoom(2, view.x + view.w / 2);
              document.getElementById('zoom-out').onclick = () => zoom(0.5, view.x + view.w / 2);
              document.getElementById('zoom-reset').onclick = () => { view = { x: full.x, w: full.w }; apply(); };
              svg.addEventListener('wheel', e => { e.preventDefault(); const r = svg.getBoundingClientRect(); zoom(e.deltaY < 0 ? 1.25 : 0.8, view.x + (e.clientX - r.left) / r.width * view.w); });
              let drag = null;
              svg.addEventListener('mousedown', e => drag = { x: e.clientX, vx: view.x });
              window.addEventListener('mouseup', () => drag = null);
              window.addEventListener('mousemove', e => { if (drag) { const r = svg.getBoundingClientRect(); view.x = Math.max(0, Math.min(full.w - view.w, drag.vx - (e.clientX - drag.x) / r.width * view.w)); apply(); } });
              const boxes = [...svg.querySelectorAll('rect[data-start]')].map(el => { const b = el.getBoundingClientRect(); return { kind: el.getAttribute('class'), lane: el.dataset.lane, start: el.dataset.start, end: el.dataset.end, step: el.dataset.step, to: el.dataset.to, x: b.x, y: b.y, width: b.width, height: b.height }; });
              document.getElementById('geometry').textContent = JSON.stringify(boxes);
            })();
            </script>
            </body></html>

            """);
        return page.ToString();
    }

    private static double DrawView(StringBuilder svg, Axis axis, string lane, FlatView view, double y)
    {
        Label(svg, y + Band / 2 + 4, $"{lane} ({view.Count} ranges)");
        foreach (var r in view)
        {
            string kind = r.Kind switch
            {
                MemoryMap.Regions.RegionKind.Ram or MemoryMap.Regions.RegionKind.RamDevice when !r.ReadOnly => "ram",
                MemoryMap.Regions.RegionKind.Ram or MemoryMap.Regions.RegionKind.RamDevice or MemoryMap.Regions.RegionKind.RomDevice => "ro",
                MemoryMap.Regions.RegionKind.Io => "io",
                _ => "other",
            };
            Rect(svg, axis, kind, lane, r.Range, y, Band, null, null, r.ToString());
            double x0 = axis.X(r.Range.Start), x1 = axis.X(r.Range.End);
            if (x1 - x0 > 60)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"label\" x=\"{x0 + 3:0.##}\" y=\"{y + Band / 2 + 4:0.##}\">{E(Shorten(r.Region, (int)((x1 - x0) / 7)))}</text>\n");
            }
        }

        return y + Band;
    }

    private static double DrawRow(StringBuilder svg, Axis axis, PictureRow row, double y)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"label\" x=\"4\" y=\"{y:0.##}\" font-weight=\"bold\">{E(row.Summary)}</text>\n");
        y += 6;
        double top = y;
        var calls = row.Calls;
        for (int i = 0; i < calls.Length; i++)
        {
            var (kind, range) = calls[i] switch
            {
                DmaOperation.Map m => ("map", m.Mapping.Iova),
                DmaOperation.Unmap u => ("unmap", u.Iova),
                _ => ("unmap", axis.Whole),
            };
            Label(svg, y + Lane - 3, $"#{i}");
            Rect(svg, axis, kind, row.Name, range, y + 1, Lane - 2, i, null, $"#{i} {calls[i]}");
            y += Lane;
        }

        if (calls.IsEmpty)
        {
            Label(svg, y + Lane - 3, "(no ioctl)");
            y += Lane;
        }

        foreach (var w in row.Windows)
        {
            int end = w.MappedAt ?? calls.Length;
            Rect(svg, axis, "window", row.Name, w.Iova, top + (w.UnmappedAt * Lane), (end - w.UnmappedAt) * Lane, w.UnmappedAt, end, w.ToString());
        }

        return y;
    }

    private static void DrawTicks(StringBuilder svg, Axis axis, double bottom)
    {
        double lastLabel = double.NegativeInfinity;
        foreach (var b in axis.Boundaries)
        {
            double x = axis.X(b);
            svg.Insert(0, string.Create(CultureInfo.InvariantCulture, $"<line class=\"tick\" x1=\"{x:0.##}\" y1=\"30\" x2=\"{x:0.##}\" y2=\"{bottom:0.##}\"/>\n"));
            if (x - lastLabel >= 12)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"label\" transform=\"translate({x + 4:0.##},{bottom + 4:0.##}) rotate(60)\">{E(AddressRange.FormatEnd(b))}</text>\n");
                lastLabel = x;
            }
        }
    }

    private static void Rect(StringBuilder svg, Axis axis, string kind, string lane, AddressRange range, double y, double height, int? step, int? to, string title)
    {
        double x0 = axis.X(range.Start), x1 = axis.X(range.End);
        svg.Append(CultureInfo.InvariantCulture,
            $"<rect class=\"{kind}\" data-lane=\"{E(lane)}\" data-start=\"0x{range.Start:x}\" data-end=\"{AddressRange.FormatEnd(range.End)}\"{(step is { } s ? $" data-step=\"{s}\"" : "")}{(to is { } t ? $" data-to=\"{t}\"" : "")} x=\"{x0:0.###}\" y=\"{y:0.##}\" width=\"{Math.Max(0.5, x1 - x0):0.###}\" height=\"{height:0.##}\"><title>{E(title)}</title></rect>\n");
    }

    private static void Label(StringBuilder svg, double y, string text) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"label\" x=\"4\" y=\"{y:0.##}\">{E(text)}</text>\n");

    private static string Shorten(string text, int max) => text.Length <= max ? text : max <= 1 ? "" : text[..(max - 1)] + "…";

    private static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>The boundary axis: ticks at every start and end, each span as wide as 1 + log2 of its size.</summary>
    private sealed class Axis
    {
        private readonly UInt128[] _ticks;
        private readonly double[] _at;

        private Axis(UInt128[] ticks)
        {
            _ticks = ticks;
            _at = new double[ticks.Length];
            var widths = new double[Math.Max(0, ticks.Length - 1)];
            for (int i = 0; i < widths.Length; i++)
            {
                widths[i] = 1 + Math.Log2((double)(ticks[i + 1] - ticks[i]));
            }

            double total = widths.Sum();
            _at[0] = Left;
            for (int i = 0; i < widths.Length; i++)
            {
                _at[i + 1] = _at[i] + (total == 0 ? 0 : widths[i] / total * Width);
            }
        }

        public IEnumerable<UInt128> Boundaries => _ticks;

        public AddressRange Whole => AddressRange.FromBounds((ulong)_ticks[0], _ticks[^1]);

        public static Axis Of(IEnumerable<FlatView> views, IReadOnlyList<PictureRow> rows)
        {
            var points = new SortedSet<UInt128>();
            void Add(AddressRange r)
            {
                points.Add(r.Start);
                points.Add(r.End);
            }

            foreach (var r in views.SelectMany(v => v))
            {
                Add(r.Range);
            }

            foreach (var row in rows)
            {
                foreach (var op in row.Calls)
                {
                    if (op is DmaOperation.Map m)
                    {
                        Add(m.Mapping.Iova);
                    }
                    else if (op is DmaOperation.Unmap u)
                    {
                        Add(u.Iova);
                    }
                }

                foreach (var w in row.Windows)
                {
                    Add(w.Iova);
                }
            }

            if (points.Count < 2)
            {
                points.Add(0);
                points.Add(AddressSpace.End);
            }

            return new Axis([.. points]);
        }

        public double X(UInt128 address)
        {
            int i = Array.BinarySearch(_ticks, address);
            if (i >= 0)
            {
                return _at[i];
            }

            i = ~i;
            if (i == 0)
            {
                return _at[0];
            }

            if (i >= _ticks.Length)
            {
                return _at[^1];
            }

            double fraction = (double)(address - _ticks[i - 1]) / (double)(_ticks[i] - _ticks[i - 1]);
            return _at[i - 1] + (fraction * (_at[i] - _at[i - 1]));
        }
    }
}
