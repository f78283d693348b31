// An alert's text on the page names units, posts and zones as the page's registry does (in the
// page's language: the English name on an English page), not with the configured Chinese name the
// alert carries; a unit, post or zone the page does not know keeps the alert's own name.
import t from 'tap'
import { alertText, storeNames } from '../../src/web/alert-text.js'
import type { Alert } from '../../src/web/model.js'
import type { Store } from '../../src/web/store.js'

const alert = (kind: string, details: Record<string, unknown>): Alert => ({ id: 'a1', kind, subject: 'unit:P-2', state: 'opened', openedAt: 0, summary: 'engine summary', details } as unknown as Alert)
// What the store holds on an English page: names taken with name_en (localName()).
const store = {
  units: new Map([['P-2', { id: 'P-2', name: 'Patrol car 2' }], ['P-9', { id: 'P-9', name: 'P-9' }]]),
  posts: new Map([['st-a', { id: 'st-a', name: 'Station A' }]]),
  zones: new Map([['grid-a', { info: { id: 'grid-a', name: 'Grid A' } }]]),
} as unknown as Pick<Store, 'units' | 'posts' | 'zones'>
const names = storeNames(store)

t.test('the registry\'s names in the page\'s language win over the alert\'s Chinese ones', async (t) => {
  const breach = alert('radius_breach', { unitId: 'P-2', unitName: '巡逻车2号', postId: 'st-a', postName: '城东派出所', distanceM: 1500, radiusM: 600 })
  t.match(alertText(breach, names), /^Patrol car 2 \(P-2\).*Station A/)
  t.notMatch(alertText(breach, names), /巡逻车|派出所/)
  t.match(alertText(breach), /^巡逻车2号 \(P-2\).*城东派出所/, 'without the registry: the alert\'s names, as before')
  t.match(alertText(alert('zone_exit', { unitId: 'P-2', unitName: '巡逻车2号', zoneId: 'grid-a', zoneName: '东区网格', distanceM: 300 }), names), /Patrol car 2 \(P-2\).*Grid A/)
  t.match(alertText(alert('coverage_gap', { zoneId: 'grid-a', zoneName: '东区网格', ratio: 0.4, cellCount: 3, minRatio: 0.8 }), names), /Grid A/)
  t.match(alertText(alert('unit_sos', { unitId: 'P-2', unitName: '巡逻车2号' }), names), /Patrol car 2 \(P-2\)/)
})

t.test('unknown to the page: the alert\'s own name, else the id', async (t) => {
  t.match(alertText(alert('unit_sos', { unitId: 'P-7', unitName: '巡逻车7号' }), names), /巡逻车7号 \(P-7\)/)
  t.match(alertText(alert('unit_sos', { unitId: 'P-9', unitName: '巡逻车9号' }), names), /P-9/, 'a unit without a name of its own on the page')
  t.notMatch(alertText(alert('unit_sos', { unitId: 'P-9', unitName: '巡逻车9号' }), names), /\(P-9\)/)
  t.match(alertText(alert('zone_exit', { unitId: 'P-7', zoneId: 'grid-z', distanceM: 10 }), names), /grid-z/)
  t.match(alertText(alert('radius_breach', { unitId: 'P-7', distanceM: 10, radiusM: 5 }), names), /\?/, 'no post at all')
})

t.test('checkpoint_missed: the plan and checkpoint as the page\'s plans name them, when they still carry the alert\'s name', async (t) => {
  const missed = (d: Record<string, unknown>) => alert('checkpoint_missed', { planId: 'robbery-ring', planName: '抢劫案外围封控', checkpoint: { index: 0, name: '东桥', deadline: 0 }, ...d })
  const ops = {
    planName: (id: string, given: string | null) => (id === 'robbery-ring' && given === '抢劫案外围封控' ? 'Robbery ring' : undefined),
    checkpointName: (planId: string, index: number, given: string | null) => (planId === 'robbery-ring' && index === 0 && given === '东桥' ? 'East bridge' : undefined),
  }
  const withPlans = storeNames({ ...store, ops } as unknown as Parameters<typeof storeNames>[0])
  t.match(alertText(missed({}), withPlans), /^Checkpoint East bridge of plan Robbery ring not manned by/)
  t.match(alertText(missed({}), names), /^Checkpoint 东桥 of plan 抢劫案外围封控/, 'no plans on the page: the alert\'s names')
  t.match(alertText(missed({ planName: '旧名' }), withPlans), /of plan 旧名/, 'renamed since: the alert\'s name')
  t.match(alertText(missed({ planName: undefined }), withPlans), /of plan robbery-ring/, 'no name at all: the id')
  t.match(alertText(missed({ planId: undefined, planName: undefined, checkpoint: { name: '东桥', deadline: 0 } }), withPlans), /^Checkpoint 东桥 of plan \?/)
  t.match(alertText(missed({ checkpoint: { index: 0, deadline: 0 } }), withPlans), /^Checkpoint \? of plan Robbery ring/)
})
