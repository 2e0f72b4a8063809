/* cmqgraph's maps, drawn by the vendored Leaflet (static/leaflet) without tiles: nothing is fetched but the
   server's own GeoJSON (/api/carte/…). CmqMap.page(root) runs the map page /carte; CmqMap.focus(el, url, note)
   draws the small map of a thing's page (templates/map_panel.html). French first, English beside. */
(function () {
  "use strict";
  // ColorBrewer "Blues", 5 classes; a territory without a value is light grey
  var PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
  var NO_VALUE = "#eeeeee";
  var ROLES = {
    membre: {fr: "membres (déclarés)", en: "members (stated)",
             style: {radius: 7, color: "#1d2733", weight: 2, fillColor: "#d62728", fillOpacity: 0.95}},
    perimetre: {fr: "périmètre (déduit)", en: "sector scope (derived)",
                style: {radius: 5, color: "#b35900", weight: 2, dashArray: "3 2", fillColor: "#ffffff", fillOpacity: 0.5}},
    etablissement: {fr: "établissements", en: "schools",
                    style: {radius: 2.5, color: "#33415c", weight: 0.5, fillColor: "#33415c", fillOpacity: 0.7}}
  };
  var OUTLINE = {
    focus: {color: "#000091", weight: 2, fillColor: "#6baed6", fillOpacity: 0.3},
    academie: {color: "#000091", weight: 2, fillColor: "#bdd7e7", fillOpacity: 0.35},
    territoire: {color: "#000091", weight: 1.5, fillColor: "#bdd7e7", fillOpacity: 0.3},
    region_principale: {color: "#000091", weight: 2, fillColor: "#6baed6", fillOpacity: 0.3},
    region: {color: "#5b6673", weight: 1.5, dashArray: "5 4", fillColor: "#eff3ff", fillOpacity: 0.2}
  };
  var ROLE_NAMES = {focus: "territoire", academie: "académie", region: "région", region_principale: "région principale", territoire: "territoire du projet"};

  function esc(text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function fmt(value, percent) {
    if (value === null || value === undefined) { return "—"; }
    var text = Number.isInteger(value) ? value.toLocaleString("fr-FR") : value.toLocaleString("fr-FR", {maximumFractionDigits: 2});
    return percent ? text + " %" : text;
  }

  // class limits: 5 equal steps from 0 (or the smallest value, when negative) to the largest value
  // (whole numbers when every value is one: a count's classes are counts)
  function limits(values) {
    if (!values.length) { return []; }
    var low = Math.min(0, Math.min.apply(null, values)), high = Math.max.apply(null, values);
    if (high === low) { return [high]; }
    var whole = values.every(Number.isInteger), out = [];
    for (var i = 1; i <= PALETTE.length; i++) {
      var step = low + (high - low) * i / PALETTE.length;
      step = whole ? Math.ceil(step - 1e-9) : step;
      if (!out.length || step > out[out.length - 1]) { out.push(step); }
    }
    return out;
  }

  // class i of n: the palette spread over the classes (3 classes: the lightest, the middle, the darkest)
  function shade(i, n) {
    return PALETTE[n <= 1 ? PALETTE.length - 1 : Math.round(i * (PALETTE.length - 1) / (n - 1))];
  }

  function colour(value, steps) {
    if (value === null || value === undefined || !steps.length) { return NO_VALUE; }
    for (var i = 0; i < steps.length; i++) { if (value <= steps[i] + 1e-12) { return shade(i, steps.length); } }
    return shade(steps.length - 1, steps.length);
  }

  function newMap(el) {
    var map = L.map(el, {preferCanvas: true, zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 2, maxZoom: 14, keyboard: true});
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution("contours et points : graphe cmqgraph (territoires, lycees_ival, annuaire_education)");
    return map;
  }

  function link(href, text) {
    return href ? '<a href="' + esc(href) + '">' + esc(text) + "</a>" : esc(text);
  }

  function pointPopup(p) {
    var role = ROLES[p.role] || {fr: p.role, en: p.role};
    return "<strong>" + link(p.href, p.name || p.uai || p.iri) + "</strong><br>UAI " + esc(p.uai || "—") +
      "<br>" + esc(role.fr) + ' <span lang="en" class="en">/ ' + esc(role.en) + "</span>";
  }

  function pointsLayer(data) {
    return L.geoJSON(data, {
      filter: function (f) { return f.geometry && f.geometry.type === "Point"; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, (ROLES[f.properties.role] || ROLES.etablissement).style); },
      onEachFeature: function (f, layer) {
        layer.bindPopup(pointPopup(f.properties));
        layer.bindTooltip(esc(f.properties.name || f.properties.uai || ""), {direction: "top"});
      }
    });
  }

  // the members first, on top of the scope, on top of the other schools
  function order(features) {
    var rank = {etablissement: 0, perimetre: 1, membre: 2};
    return features.slice().sort(function (a, b) { return (rank[a.properties.role] || 0) - (rank[b.properties.role] || 0); });
  }

  function countRoles(features) {
    var n = {};
    features.forEach(function (f) { if (f.geometry.type === "Point") { n[f.properties.role] = (n[f.properties.role] || 0) + 1; } });
    return n;
  }

  function roleSummary(counts, missing) {
    var parts = [];
    ["membre", "perimetre", "etablissement"].forEach(function (role) {
      var on = counts[role] || 0, off = (missing || {})[role] || 0;
      if (!on && !off) { return; }
      var text = ROLES[role].fr + " : " + on + " sur la carte";
      if (off) { text += ", " + off + " sans position" + (role === "membre" ? " (universités, organismes…)" : ""); }
      parts.push(text);
    });
    return parts.join(" ; ");
  }

  function legendControl(map) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "cmq-legend");
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    control.addTo(map);
    return control.getContainer();
  }

  function roleLegend(counts) {
    var html = "";
    ["membre", "perimetre", "etablissement"].forEach(function (role) {
      if (!counts[role]) { return; }
      var s = ROLES[role].style;
      html += '<div class="row"><svg width="18" height="18" aria-hidden="true"><circle cx="9" cy="9" r="' + Math.max(s.radius, 3) +
        '" fill="' + s.fillColor + '" fill-opacity="' + s.fillOpacity + '" stroke="' + s.color + '" stroke-width="' + s.weight +
        '"' + (s.dashArray ? ' stroke-dasharray="' + s.dashArray + '"' : "") + '></circle></svg> ' + esc(ROLES[role].fr) +
        ' <span lang="en" class="en">/ ' + esc(ROLES[role].en) + "</span> (" + counts[role] + ")</div>";
    });
    return html;
  }

  function boundsOf(layer) {
    var b = layer && layer.getLayers().length ? layer.getBounds() : null;
    return b && b.isValid() ? b : null;
  }

  /* ---------------------------------------------------------------- the small map of a page */

  function focus(el, url, note) {
    return fetch(url, {headers: {Accept: "application/geo+json"}}).then(function (answer) {
      if (!answer.ok) { throw new Error("HTTP " + answer.status); }
      return answer.json();
    }).then(function (data) {
      var map = newMap(el);
      var areas = L.geoJSON({type: "FeatureCollection", features: data.features.filter(function (f) { return f.geometry.type !== "Point"; })}, {
        style: function (f) {
          var roles = f.properties.roles || [];
          var key = ["focus", "academie", "region_principale", "territoire", "region"].filter(function (r) { return roles.indexOf(r) >= 0; })[0];
          return OUTLINE[key || "region"];
        },
        onEachFeature: function (f, layer) {
          var roles = (f.properties.roles || []).map(function (r) { return ROLE_NAMES[r] || r; }).join(", ");
          layer.bindTooltip(esc(f.properties.name) + " (" + esc(roles) + ")", {sticky: true});
          layer.bindPopup("<strong>" + link(f.properties.href, f.properties.name) + "</strong><br>" + esc(roles));
        }
      }).addTo(map);
      var points = pointsLayer({type: "FeatureCollection", features: order(data.features)}).addTo(map);
      var a = boundsOf(areas), p = boundsOf(points), view = a || p, inset = false;
      if (a && p) {
        if (a.intersects(p)) { view = a.extend(p); } else { view = p; inset = true; }
      }
      if (view) { map.fitBounds(view.pad(0.05), {maxZoom: 11}); } else { map.setView([46.6, 2.4], 5); }
      var counts = countRoles(data.features);
      legendControl(map).innerHTML = roleLegend(counts);
      var text = roleSummary(counts, data.missing);
      if (!data.features.length) { text = "Rien à placer sur la carte / Nothing to map"; }
      if (inset) { text += " — le contour d'outre-mer est un encart (position non réelle) / the overseas outline is an inset"; }
      if (note) { note.textContent = text; }
      el.cmqMap = map;
      el.setAttribute("data-ready", "1");
      return map;
    }).catch(function (error) {
      if (note) { note.textContent = "Carte indisponible / Map unavailable (" + error.message + ")"; }
      el.setAttribute("data-ready", "error");
    });
  }

  /* ---------------------------------------------------------------- the map page */

  function Page(root) {
    this.root = root;
    this.el = root.querySelector(".cmq-map");
    this.form = root.querySelector("form");
    this.status = root.querySelector("#carte-status");
    this.table = root.querySelector("#carte-table");
    this.urls = {territoires: this.el.getAttribute("data-territoires"), etablissements: this.el.getAttribute("data-etablissements")};
    this.map = newMap(this.el);
    this.legend = legendControl(this.map);
    this.layers = {areas: null, schools: null, campus: null};
    this.current = null;
    this.cache = {};
    this.messages = {areas: "", schools: "", campus: ""};
  }

  Page.prototype.values = function () {
    var f = this.form;
    return {niveau: f.elements.niveau.value, mesure: f.elements.mesure.value, campus: f.elements.campus.value,
            etablissements: f.elements.etablissements.checked};
  };

  Page.prototype.get = function (url) {
    if (!this.cache[url]) {
      this.cache[url] = fetch(url, {headers: {Accept: "application/geo+json"}}).then(function (answer) {
        return answer.json().then(function (body) {
          if (!answer.ok) { throw new Error(typeof body.detail === "string" ? body.detail : "HTTP " + answer.status); }
          return body;
        });
      });
      var cache = this.cache;
      this.cache[url].catch(function () { delete cache[url]; });
    }
    return this.cache[url];
  };

  Page.prototype.say = function (part, text) {
    this.messages[part] = text;
    var m = this.messages;
    this.status.textContent = [m.areas, m.campus, m.schools].filter(Boolean).join(" · ");
  };

  Page.prototype.drawAreas = function (v) {
    var self = this;
    var url = this.urls.territoires + "?niveau=" + encodeURIComponent(v.niveau) + "&mesure=" + encodeURIComponent(v.mesure);
    return this.get(url).then(function (data) {
      var m = data.measure, values = data.features.map(function (f) { return f.properties.value; }).filter(function (x) { return x !== null; });
      var steps = limits(values);
      if (self.layers.areas) { self.map.removeLayer(self.layers.areas); }
      self.layers.areas = L.geoJSON(data, {
        style: function (f) { return {color: "#888", weight: 0.8, fillColor: colour(f.properties.value, steps), fillOpacity: 0.85}; },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip(esc(p.name) + " : " + esc(fmt(p.value, m.percent)), {sticky: true});
          layer.bindPopup("<strong>" + link(p.href, p.name) + "</strong> (" + esc(p.code) + ")<br>" + esc(m.fr) + " : " + esc(fmt(p.value, m.percent)) +
            "<br>Campus : " + esc(p.nb_campus) + " · excellence : " + esc(p.nb_campus_excellence) +
            "<br>Score de recouvrement : " + esc(fmt(p.score_recouvrement)) + " (" + esc(p.paires) + " paires)");
        }
      }).addTo(self.map);
      self.layers.areas.bringToBack();
      self.current = {measure: m, steps: steps, whole: values.every(Number.isInteger),
                      low: values.length ? Math.min(0, Math.min.apply(null, values)) : 0};
      self.drawLegend();
      self.fillTable(data, m);
      self.say("areas", data.features.length + " " + (v.niveau === "region" ? "régions" : "académies") + " · " + m.fr +
        (values.length ? " : de " + fmt(Math.min.apply(null, values), m.percent) + " à " + fmt(Math.max.apply(null, values), m.percent) : ""));
    });
  };

  Page.prototype.drawLegend = function () {
    if (!this.current) { return; }
    var m = this.current.measure, steps = this.current.steps;
    var html = "<strong>" + esc(m.fr) + '</strong><br><span lang="en" class="en">' + esc(m.en) + "</span>";
    var whole = this.current.whole;
    steps.forEach(function (high, i) {
      var low = i ? (whole ? steps[i - 1] + 1 : steps[i - 1]) : this.current.low;
      var text = whole ? (low === high ? fmt(high, m.percent) : fmt(low) + " – " + fmt(high, m.percent))
                       : (i ? "> " + fmt(Math.round(low * 100) / 100) + " et " : "") + "≤ " + fmt(Math.round(high * 100) / 100, m.percent);
      html += '<div class="row"><i style="background:' + shade(i, steps.length) + '"></i>' + esc(text) + "</div>";
    }, this);
    html += '<div class="row"><i style="background:' + NO_VALUE + '"></i>sans valeur <span lang="en" class="en">/ no value</span></div>';
    var counts = {};
    ["campus", "schools"].forEach(function (k) {
      var layer = this.layers[k];
      if (layer) { layer.eachLayer(function (l) { var r = l.feature.properties.role; counts[r] = (counts[r] || 0) + 1; }); }
    }, this);
    this.legend.innerHTML = html + roleLegend(counts);
  };

  Page.prototype.fillTable = function (data, m) {
    var rows = data.features.map(function (f) { return f.properties; }).sort(function (a, b) {
      var x = a.value === null ? -Infinity : a.value, y = b.value === null ? -Infinity : b.value;
      return y - x || a.name.localeCompare(b.name, "fr");
    });
    this.table.querySelector("th.measure").textContent = m.fr;
    this.table.querySelector("caption .what").textContent = m.fr + " — " + (data.level === "region" ? "régions" : "académies");
    this.table.querySelector("tbody").innerHTML = rows.map(function (p) {
      return "<tr><td>" + link(p.href, p.name) + "</td><td>" + esc(p.code) + '</td><td class="num">' + esc(fmt(p.value, m.percent)) +
        '</td><td class="num">' + esc(p.nb_campus) + '</td><td class="num">' + esc(p.nb_campus_excellence) + '</td><td class="num">' +
        esc(fmt(p.score_recouvrement)) + "</td></tr>";
    }).join("");
    this.root.querySelector("#carte-note").textContent = m.note_fr;
    this.root.querySelector("#carte-note-en").textContent = m.note_en;
  };

  Page.prototype.drawSchools = function (v) {
    var self = this;
    if (self.layers.schools) { self.map.removeLayer(self.layers.schools); self.layers.schools = null; }
    if (!v.etablissements) { self.say("schools", ""); return Promise.resolve(); }
    return this.get(this.urls.etablissements).then(function (data) {
      if (!self.values().etablissements) { return; }
      self.layers.schools = pointsLayer(data).addTo(self.map);
      if (self.layers.campus) { self.layers.campus.bringToFront(); }
      self.say("schools", data.features.length + " établissements avec une position (ceux d'outre-mer à leur place réelle, hors des encarts)");
    });
  };

  Page.prototype.drawCampus = function (v) {
    var self = this;
    if (self.layers.campus) { self.map.removeLayer(self.layers.campus); self.layers.campus = null; }
    if (!v.campus) { self.say("campus", ""); return Promise.resolve(); }
    return this.get(this.urls.etablissements + "?campus=" + encodeURIComponent(v.campus)).then(function (data) {
      if (self.values().campus !== v.campus) { return; }
      self.layers.campus = pointsLayer({type: "FeatureCollection", features: order(data.features)}).addTo(self.map);
      self.say("campus", v.campus + " : " + (roleSummary(countRoles(data.features), data.missing) || "aucun établissement connu"));
    });
  };

  // the campus's points when one is shown (at first, or when it changed), else the outlines (at first, or when none is shown any more)
  Page.prototype.fit = function (what) {
    if (what && what !== "campus") { return; }
    var campus = boundsOf(this.layers.campus), areas = boundsOf(this.layers.areas);
    if (campus) { this.map.fitBounds(campus.pad(0.4), {maxZoom: 10, animate: false}); } else if (areas) { this.map.fitBounds(areas, {padding: [8, 8], animate: false}); }
  };

  Page.prototype.update = function (what) {
    var self = this, v = this.values();
    var measure = this.form.elements.mesure;
    Array.prototype.forEach.call(measure.options, function (o) {
      o.disabled = (o.getAttribute("data-levels") || "").split(" ").indexOf(v.niveau) < 0;
    });
    if (measure.selectedOptions[0] && measure.selectedOptions[0].disabled) { measure.value = "nb_campus"; v = this.values(); }
    var query = new URLSearchParams({niveau: v.niveau, mesure: v.mesure});
    if (v.campus) { query.set("campus", v.campus); }
    if (v.etablissements) { query.set("etablissements", "1"); }
    history.replaceState(null, "", "?" + query.toString());
    var jobs = [];
    if (!what || what === "areas") { jobs.push(this.drawAreas(v)); }
    if (!what || what === "schools") { jobs.push(this.drawSchools(v)); }
    if (!what || what === "campus") { jobs.push(this.drawCampus(v)); }
    this.root.setAttribute("data-ready", "0");
    return Promise.all(jobs).then(function () {
      self.fit(what);
      self.drawLegend();  // it lists the points drawn too
      self.root.setAttribute("data-ready", "1");
    }).catch(function (error) {
      self.say("areas", "Erreur / Error : " + error.message);
      self.root.setAttribute("data-ready", "error");
    });
  };

  function page(root) {
    var p = new Page(root);
    var parts = {niveau: "areas", mesure: "areas", campus: "campus", etablissements: "schools"};
    p.form.addEventListener("change", function (e) { p.update(parts[e.target.name]); });
    p.form.addEventListener("submit", function (e) { e.preventDefault(); p.update(); });
    root.cmqPage = p;
    return p.update();
  }

  window.CmqMap = {focus: focus, page: page, limits: limits, colour: colour};
})();
