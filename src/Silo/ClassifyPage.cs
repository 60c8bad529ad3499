namespace Fruits.Silo;

/// <summary>GET /: pick or drop a photo, see the top fruits and the nearest indexed images. The output is the page's ?output= or the server's default.</summary>
public static class ClassifyPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>What fruit is this?</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 56rem; color: #222; }
          #drop { border: 2px dashed #888; border-radius: 8px; padding: 2rem; text-align: center; cursor: pointer; }
          #drop.over { background: #eef6ee; border-color: #3a3; }
          #photo { max-height: 160px; display: block; margin: 1rem auto; }
          #labels li { margin: .2rem 0; font-size: 1.1rem; }
          #labels li:first-child { font-weight: bold; font-size: 1.4rem; }
          .bar { display: inline-block; height: .7rem; background: #3a3; margin-left: .5rem; }
          #nearest { display: flex; flex-wrap: wrap; gap: .5rem; }
          #nearest figure { margin: 0; text-align: center; font-size: .75rem; width: 110px; }
          #nearest img { width: 100px; height: 100px; object-fit: contain; border: 1px solid #ccc; }
          #error { color: #b00; }
        </style>
        </head>
        <body>
        <h1>What fruit is this?</h1>
        <p id="index"></p>
        <label id="drop">Drop a photo here, or click to pick one
          <input id="file" type="file" accept="image/*" hidden>
        </label>
        <img id="photo" alt="" hidden>
        <p id="error" role="alert"></p>
        <h2>Top fruits</h2>
        <ol id="labels"></ol>
        <h2>Nearest images</h2>
        <div id="nearest"></div>
        <script>
        const page = new URLSearchParams(location.search);
        const output = page.get('output');
        const withOutput = (path, extra) => {
          const q = new URLSearchParams(extra || {});
          if (output) q.set('output', output);
          return path + '?' + q.toString();
        };
        const $ = id => document.getElementById(id);
        fetch(withOutput('/v1/index')).then(r => r.json()).then(i => {
          $('index').textContent = i.error ? i.error : `${i.rows} images of ${i.labels} fruits in ${i.output} (${i.dimensions} PCA dimensions)`;
        });
        async function classify(file) {
          $('error').textContent = '';
          $('labels').replaceChildren();
          $('nearest').replaceChildren();
          $('photo').src = URL.createObjectURL(file);
          $('photo').hidden = false;
          const response = await fetch(withOutput('/v1/classify', { top: page.get('top') || '5' }), { method: 'POST', body: file });
          const answer = await response.json();
          if (!response.ok) { $('error').textContent = answer.error; return; }
          for (const l of answer.labels) {
            const li = document.createElement('li');
            li.className = 'label';
            li.textContent = `${l.label} ${(100 * l.score).toFixed(1)} %`;
            const bar = document.createElement('span');
            bar.className = 'bar';
            bar.style.width = `${Math.round(200 * l.score)}px`;
            li.append(bar);
            $('labels').append(li);
          }
          for (const n of answer.nearest) {
            const figure = document.createElement('figure');
            const img = document.createElement('img');
            img.src = withOutput('/v1/image', { path: n.path });
            img.alt = n.label;
            const caption = document.createElement('figcaption');
            caption.textContent = `${n.label} (${n.distance.toFixed(2)})`;
            figure.append(img, caption);
            $('nearest').append(figure);
          }
          document.body.dataset.top = answer.labels.length ? answer.labels[0].label : '';
        }
        $('file').addEventListener('change', e => { if (e.target.files.length) classify(e.target.files[0]); });
        const drop = $('drop');
        drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
        drop.addEventListener('dragleave', () => drop.classList.remove('over'));
        drop.addEventListener('drop', e => {
          e.preventDefault();
          drop.classList.remove('over');
          if (e.dataTransfer.files.length) classify(e.dataTransfer.files[0]);
        });
        </script>
        </body>
        </html>
        """;
}
