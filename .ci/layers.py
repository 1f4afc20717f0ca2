#!/usr/bin/env python3
"""The floors inside each crate of the workspace (the crates themselves are
floors the compiler keeps): no import cycles between a crate's files, and no
room importing a room above it (runtime: device → bridge → model →
upscale → style_transfer, texture → plugin; train: eval below the trainers). Reads `use`
items and paths in code, so it is a text check, not a compiler; exits 1 on a
finding. `-v` lists the edges."""
import os, re, sys
# Rooms of each crate by floor; rooms not listed are the crate's top floor.
CRATES = {
    'src': {},
    'crates/nn/src': {},
    'crates/runtime/src': {'device': 1, 'bridge': 2, 'model': 3, 'upscale': 4,
                           'style_transfer': 5, 'texture': 5, 'plugin': 7, '': 8},
    'crates/train/src': {'eval': 0},
    'crates/inspector/src': {},
}

def check(root, rank):
  files = {}
  for d, _, fs in os.walk(root):
      for f in fs:
          if f.endswith('.rs'):
              p = os.path.join(d, f)
              rel = os.path.relpath(p, root)[:-3].split(os.sep)
              if rel[-1] in ('mod', 'lib'):
                  rel = rel[:-1]
              files[tuple(rel)] = p

  def strip(text):
      text = re.sub(r'//[^\n]*', '', text)
      text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
      text = re.sub(r'"(\\.|[^"\\])*"', '""', text)
      return text

  def expand(prefix, body):
      out = []
      depth = 0; cur = ''
      parts = []
      for ch in body:
          if ch == '{': depth += 1
          if ch == '}': depth -= 1
          if ch == ',' and depth == 0:
              parts.append(cur); cur = ''
          else:
              cur += ch
      parts.append(cur)
      for part in parts:
          part = part.strip()
          if not part: continue
          m = re.match(r'^(.*?)::\{(.*)\}$', part, re.S)
          if m:
              out += expand(prefix + [s for s in m.group(1).split('::') if s], m.group(2))
          elif part.startswith('{') and part.endswith('}'):
              out += expand(prefix, part[1:-1])
          else:
              part = re.sub(r'\s+as\s+\w+$', '', part)
              out.append(prefix + [s for s in part.split('::') if s])
      return out

  def resolve(mod, path):
      # absolute module path list
      if not path: return None
      if path[0] == 'crate':
          base = []; rest = path[1:]
      elif path[0] == 'super':
          base = list(mod); rest = path
          while rest and rest[0] == 'super':
              base = base[:-1]; rest = rest[1:]
      elif path[0] == 'self':
          base = list(mod); rest = path[1:]
      elif tuple(list(mod) + [path[0]]) in files:
          base = list(mod); rest = path
      else:
          return None
      full = base + rest
      # longest prefix that is a file
      for n in range(len(full), -1, -1):
          if tuple(full[:n]) in files:
              return tuple(full[:n])
      return None

  edges = {k: set() for k in files}
  for mod, p in files.items():
      text = strip(open(p).read())
      for m in re.finditer(r'\buse\s+([^;]+);', text):
          stmt = m.group(1).strip()
          for path in expand([], stmt):
              if path[-1:] == ['*'] and path[:1] == ['super']:
                  continue  # `use super::*` of an inline test module
              t = resolve(mod, path)
              if t is not None and t != mod:
                  edges[mod].add(t)
      for m in re.finditer(r'(?<![\w:])(\w+(?:::\w+)+)', text):
          t = resolve(mod, m.group(1).split('::'))
          if t is not None and t != mod:
              edges[mod].add(t)
      # child modules of a mod file: `mod x;` is not an import

  # cycles: Tarjan
  index = {}; low = {}; stack = []; on = set(); sccs = []; counter = [0]
  sys.setrecursionlimit(10000)
  def strong(v):
      index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
      for w in edges[v]:
          if w not in index:
              strong(w); low[v] = min(low[v], low[w])
          elif w in on:
              low[v] = min(low[v], index[w])
      if low[v] == index[v]:
          comp = []
          while True:
              w = stack.pop(); on.discard(w); comp.append(w)
              if w == v: break
          if len(comp) > 1: sccs.append(comp)
  for v in files:
      if v not in index: strong(v)
  name = lambda m: '/'.join(m) or 'lib'
  findings = len(sccs)
  for c in sccs:
      print('CYCLE:', ' <-> '.join(name(m) for m in c))
  top = max(rank.values(), default=0) + 1
  for a, ts in sorted(edges.items()):
      room_a = a[0] if a else ''
      ra = rank.get(room_a, top)
      for b in sorted(ts):
          room_b = b[0] if b else ''
          rb = rank.get(room_b, top)
          if room_a != room_b and (rb > ra or (rb == ra and room_a in rank)):
              print(f'UPWARD/SIDEWAYS: {name(a)} -> {name(b)}')
              findings += 1
  print(f'layers {root}: {len(files)} files, {sum(len(t) for t in edges.values())} imports, {findings} findings')
  if '-v' in sys.argv:
      for a, ts in sorted(edges.items()):
          print(name(a), '->', ', '.join(sorted(name(t) for t in ts)))
  return findings


here = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
total = sum(check(os.path.relpath(os.path.join(here, root)), rank) for root, rank in CRATES.items())
sys.exit(1 if total else 0)
